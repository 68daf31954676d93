// The pair lock: one lazysync per local folder, as `L/.lazysync/lock` holding the owner's pid.
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { hasCode, LazysyncError } from '../errors.js';
import { ensureStateDir } from './db.js';

export interface PairLock {
  /** Removes the lock file if it still holds our pid; safe to call more than once. */
  release(): void;
}

/** Lock files held by this process, so that one process cannot lock the same folder twice. */
const held = new Set<string>();

/** How long a lock file may stay empty (its creator is between open and write) before it counts as stale. */
const EMPTY_GRACE_MS = 500;
const ATTEMPTS = 5;

/**
 * Takes the lock of the pair whose state folder is `stateDir` (created with mode 0700 if missing).
 * The lock file is created with O_EXCL and holds our pid. If it exists:
 * - its pid is alive and not ours: throws 'locked' (another lazysync runs this local folder);
 * - this process already holds it: throws 'locked';
 * - otherwise (dead pid, garbage, our pid left by an earlier process): it is stale and is replaced.
 *
 * The race that stays open: a stale lock is moved aside before it is replaced, and if what was moved
 * turns out to be another process's fresh lock it is put back; in the instant between, a third process
 * starting at the same moment could see no lock at all.
 */
export function acquireLock(stateDir: string): PairLock {
  ensureStateDir(stateDir);
  const file = resolve(stateDir, 'lock');
  if (held.has(file)) {
    throw new LazysyncError('locked', 'this process is already running this local folder');
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (tryCreate(file)) {
      held.add(file);
      return { release: () => release(file) };
    }
    const content = readSettled(file);
    if (content === undefined) continue; // vanished: try again
    const pid = parsePid(content);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
      throw new LazysyncError(
        'locked',
        `another lazysync (pid ${pid}) is already running for this local folder`,
      );
    }
    removeStale(file, content);
  }
  throw new LazysyncError('locked', `${file}: another lazysync keeps taking this lock`);
}

/** Creates the lock file with our pid; false if it already exists. */
function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (e) {
    if (hasCode(e, 'EEXIST')) return false;
    throw e;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The content of the lock file, waiting a moment if it is empty; undefined if it does not exist. */
function readSettled(file: string): string | undefined {
  const deadline = Date.now() + EMPTY_GRACE_MS;
  for (;;) {
    const content = readIfExists(file);
    if (content !== '' || Date.now() >= deadline) return content;
    sleepSync(20);
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/** A pid written by acquireLock, or undefined for anything else. */
export function parsePid(content: string): number | undefined {
  if (!/^\d{1,10}\n?$/.test(content)) return undefined;
  const pid = Number(content.trim());
  return pid > 0 && pid <= 0x7fffffff ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return hasCode(e, 'EPERM');
  }
}

/** Moves the stale lock aside and deletes it, unless what was moved is not the stale lock we read. */
function removeStale(file: string, stale: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return; // someone else removed it
    throw e;
  }
  const moved = readIfExists(aside);
  if (moved !== undefined && moved !== stale) {
    // Another process replaced the stale lock between our read and our rename: give its lock back.
    try {
      linkSync(aside, file);
    } catch (e) {
      if (!hasCode(e, 'EEXIST')) throw e;
    }
  }
  unlinkSync(aside);
}

function release(file: string): void {
  if (!held.delete(file)) return;
  const content = readIfExists(file);
  if (content !== undefined && parsePid(content) === process.pid) {
    try {
      unlinkSync(file);
    } catch (e) {
      if (!hasCode(e, 'ENOENT')) throw e;
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
