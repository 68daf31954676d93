// The soak: a real `lazysync daemon` with an eager and a lazy pair on a real sshfs remote,
// random changes on both sides for N minutes with unmounts, sshfs kills and daemon restarts, then checks
// that both sides converge, nothing is lost (a ledger of every content written), no temp file is left and
// the daemon's memory did not grow. See docs/reliability.md for the rules the ledger applies.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConflictName } from '../src/core/names.js';
import {
  apiRequest,
  daemonDir,
  specOf,
  startDaemon,
  type ApiStatus,
  type Daemon,
  type DaemonDir,
} from '../test/fixture/daemon.js';
import { newPair, type Pair } from '../test/fixture/pair.js';
import { NOCACHE_SSHFS_OPTIONS, startRemote, type Remote } from '../test/fixture/remote.js';
import { DEFAULT_RULES, MemoryWatch, judgeMemory } from './soak/memory.js';

// ---- options ----

function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
// An hour by default: the memory check needs 20 minutes of the last daemon after its 10-minute warm-up.
const MINUTES = Number(argOf('--minutes') ?? 60);
const PACE_MS = Number(argOf('--pace') ?? 300);
const SEED = Number(argOf('--seed') ?? Math.floor(Math.random() * 2 ** 31));
const REPORT = argOf('--report') ?? join(tmpdir(), `lazysync-soak-${Date.now()}.json`);
/** Where the daemon's memory probe writes its figures and heap snapshots (kept after the run). */
const PROBE_DIR = argOf('--probe-dir') ?? join(tmpdir(), `lazysync-soak-memory-${Date.now()}`);
/** Minutes since the start at which to write a heap snapshot of the daemon, e.g. `8,14.5`. */
const SNAPSHOT_AT = (argOf('--snapshot-at') ?? '')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
/** The memory check's warm-up and shortest judged span, in minutes (see soak-memory.ts). */
const MEMORY_RULES = {
  ...DEFAULT_RULES,
  warmupMs: Number(argOf('--memory-warmup') ?? DEFAULT_RULES.warmupMs / 60_000) * 60_000,
  minSpanMs: Number(argOf('--memory-min-span') ?? DEFAULT_RULES.minSpanMs / 60_000) * 60_000,
};
const INTERVAL_S = 2;
const TARGET_FILES = 100; // files per pair (one side) the driver steers towards
const T0 = Date.now();
const END = T0 + MINUTES * 60_000;

// A small seeded generator for the driver's choices (contents come from randomBytes).
let rngState = SEED >>> 0;
function rand(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const since = () => `${((Date.now() - T0) / 1000).toFixed(1)}s`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Side = 'L' | 'R';
const other = (s: Side): Side => (s === 'L' ? 'R' : 'L');

interface SoakPair {
  name: string;
  lazy: boolean;
  p: Pair; // p.server is side R as another machine sees it, p.local is side L
}
const root = (sp: SoakPair, side: Side) => (side === 'L' ? sp.p.local : sp.p.server);

// ---- the ledger ----

/** One content the driver wrote. Contents are unique (a header with a sequence number). */
interface Content {
  sha: string;
  pair: string;
  side: Side;
  /** Every path the driver wrote it to or renamed it to. */
  paths: Set<string>;
  /** Sides where the driver overwrote or deleted it. */
  destroyedOn: Set<Side>;
  /** Sides that held a real copy of it at a moment the driver destroyed it on the other side. */
  copyOn: Set<Side>;
  history: string[];
}
const ledger = new Map<string, Content>();
let seq = 0;

function recordWrite(sp: SoakPair, side: Side, rel: string, content: Buffer, how: string): void {
  const h = sha(content);
  ledger.set(h, {
    sha: h,
    pair: sp.name,
    side,
    paths: new Set([rel]),
    destroyedOn: new Set(),
    copyOn: new Set(),
    history: [`${since()} ${how} ${side}:${rel}`],
  });
}

/**
 * The driver destroyed `h` on `side` (overwrite or delete at `rel`). `h` is then required to survive
 * somewhere if the other side held a real copy at that moment (lazysync had synced it, so the change it
 * propagates must keep that copy as a version), unless the driver destroys that copy too.
 */
async function recordDestroy(sp: SoakPair, side: Side, rel: string, h: string, how: string) {
  const c = ledger.get(h);
  if (c === undefined) return; // not ours (e.g. a partial write of an op that failed)
  c.destroyedOn.add(side);
  const otherCopy = await realCopySha(sp, other(side), rel);
  if (otherCopy === h) c.copyOn.add(other(side));
  c.history.push(`${since()} ${how} ${side}:${rel}${otherCopy === h ? ` (copy on ${other(side)})` : ''}`);
}

/** The sha of a regular file at `rel` on `side` (a placeholder is no copy: undefined). */
async function realCopySha(sp: SoakPair, side: Side, rel: string): Promise<string | undefined> {
  try {
    const abs = join(root(sp, side), rel);
    if (!(await lstat(abs)).isFile()) return undefined;
    return sha(await readFile(abs));
  } catch {
    return undefined;
  }
}

function newContent(sp: SoakPair, side: Side, rel: string): Buffer {
  const r = rand();
  const size =
    r < 0.85 ? Math.floor(rand() * 4096) : r < 0.98 ? 16_384 + Math.floor(rand() * 114_688) : 1 << 20;
  const head = Buffer.from(`soak ${sp.name} ${side} ${rel} #${++seq} ${Date.now()}\n`);
  return Buffer.concat([head, randomBytes(size)]);
}

// ---- looking at a side ----

type Kind = 'file' | 'dir' | 'symlink' | 'placeholder';
interface Entry {
  rel: string;
  kind: Kind;
}
const DRIVER_TEMP = '.soak-tmp-';

function isPlaceholderTarget(sp: SoakPair, rel: string, target: string): boolean {
  return sp.lazy && target === join(sp.p.remote, rel);
}

/** The entries of one side below `root` (not .lazysync, temps), tolerating concurrent changes. */
async function listSide(sp: SoakPair, side: Side, forDriver: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  const base = root(sp, side);
  const visit = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(base, dir));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (rel === '.lazysync') continue;
      if (forDriver && (name.startsWith('.lazysync-tmp-') || name.startsWith(DRIVER_TEMP))) continue;
      try {
        const st = await lstat(join(base, rel));
        if (st.isDirectory()) {
          out.push({ rel, kind: 'dir' });
          await visit(rel);
        } else if (st.isSymbolicLink()) {
          const t = await readlink(join(base, rel));
          out.push({
            rel,
            kind: side === 'L' && isPlaceholderTarget(sp, rel, t) ? 'placeholder' : 'symlink',
          });
        } else if (st.isFile()) out.push({ rel, kind: 'file' });
      } catch {
        /* changed under us */
      }
    }
  };
  await visit('');
  return out;
}

// ---- the driver's operations ----

const opCounts: Record<string, number> = {};
const skipped: Record<string, number> = {};
const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
let trashSeq = 0;

function freshName(dir: string, side: Side, kind: 'f' | 'd' | 'l'): string {
  const exts = ['.txt', '.md', '.bin', '', '.tar.gz'];
  const name = `${kind}${++seq}${side.toLowerCase()}${kind === 'f' ? (pick(exts) ?? '') : ''}`;
  return dir === '' ? name : `${dir}/${name}`;
}

async function opCreate(sp: SoakPair, side: Side, dirs: string[]): Promise<void> {
  const rel = freshName(pick(dirs) ?? '', side, 'f');
  const content = newContent(sp, side, rel);
  await writeExclusive(join(root(sp, side), rel), content);
  recordWrite(sp, side, rel, content, 'create');
}

async function writeExclusive(abs: string, content: Buffer): Promise<void> {
  const fh = await open(abs, 'wx');
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/** In place: open, read what is there, truncate and write (follows a placeholder into the mount). */
async function opEdit(sp: SoakPair, side: Side, e: Entry): Promise<void> {
  const abs = join(root(sp, side), e.rel);
  // Through a placeholder the write lands on the remote, where lazysync keeps no copy: an R-side change.
  const where: Side = e.kind === 'placeholder' ? 'R' : side;
  const fh = await open(abs, 'r+');
  try {
    const old = await fh.readFile();
    await recordDestroy(sp, where, e.rel, sha(old), 'overwritten in place');
    const content = newContent(sp, side, e.rel);
    await fh.truncate(0);
    await fh.write(content, 0, content.length, 0);
    await fh.close();
    recordWrite(
      sp,
      where,
      e.rel,
      content,
      `edit in place${e.kind === 'placeholder' ? ' (through placeholder)' : ''}`,
    );
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Editor-style save: a temp file in the same folder renamed over the file. */
async function opSave(sp: SoakPair, side: Side, e: Entry): Promise<void> {
  const abs = join(root(sp, side), e.rel);
  const tmp = join(dirname(abs), `${DRIVER_TEMP}${++seq}`);
  const content = newContent(sp, side, e.rel);
  await writeExclusive(tmp, content);
  try {
    const old = await observe(sp, side, e.rel);
    await rename(tmp, abs);
    if (old !== undefined) await recordDestroy(sp, side, e.rel, old, 'replaced by an atomic save');
    recordWrite(sp, side, e.rel, content, 'atomic save');
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The content at `rel` on `side` as a user sees it: a file's, or a placeholder's remote file's. */
async function observe(sp: SoakPair, side: Side, rel: string): Promise<string | undefined> {
  const abs = join(root(sp, side), rel);
  try {
    const st = await lstat(abs);
    if (st.isFile()) return sha(await readFile(abs));
    if (st.isSymbolicLink() && side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
      return realCopySha(sp, 'R', rel);
    }
  } catch {
    /* gone */
  }
  return undefined;
}

async function opRename(sp: SoakPair, side: Side, e: Entry, dirs: string[]): Promise<void> {
  const base = root(sp, side);
  const to = freshName(pick(dirs) ?? '', side, e.kind === 'file' ? 'f' : 'l');
  if (e.kind === 'placeholder') {
    // A moved placeholder is a user symlink to the old remote path; the remote file counts as deleted here.
    const h = await realCopySha(sp, 'R', e.rel);
    await rename(join(base, e.rel), join(base, to));
    if (h !== undefined) await recordDestroy(sp, side, e.rel, h, `placeholder moved to ${to}`);
    return;
  }
  await rename(join(base, e.rel), join(base, to));
  if (e.kind !== 'file') return;
  const h = await realCopySha(sp, side, to); // `to` is new: nobody but the driver writes there yet
  const c = h === undefined ? undefined : ledger.get(h);
  if (c !== undefined) {
    c.paths.add(to);
    c.history.push(`${since()} renamed ${side}:${e.rel} -> ${to}`);
  }
}

/** Deletes by moving into a trash folder outside the root (atomic), then reads what was taken. */
async function opDelete(sp: SoakPair, side: Side, e: Entry, trash: string): Promise<void> {
  const taken = join(trash, String(++trashSeq));
  await rename(join(root(sp, side), e.rel), taken);
  try {
    await inspectTaken(sp, side, e.rel, taken);
  } finally {
    await rm(taken, { recursive: true, force: true });
  }
}

async function inspectTaken(sp: SoakPair, side: Side, rel: string, abs: string): Promise<void> {
  const st = await lstat(abs);
  if (st.isFile()) await recordDestroy(sp, side, rel, sha(await readFile(abs)), 'deleted');
  else if (st.isSymbolicLink()) {
    if (side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
      const h = await realCopySha(sp, 'R', rel);
      if (h !== undefined) await recordDestroy(sp, side, rel, h, 'placeholder deleted');
    }
  } else if (st.isDirectory()) {
    for (const name of await readdir(abs)) await inspectTaken(sp, side, `${rel}/${name}`, join(abs, name));
  }
}

async function opMkdir(sp: SoakPair, side: Side, dirs: string[]): Promise<void> {
  const parent = pick(dirs.filter((d) => d.split('/').length < 3)) ?? '';
  await mkdir(join(root(sp, side), freshName(parent, side, 'd')));
}

async function opSymlink(sp: SoakPair, side: Side, dirs: string[], files: Entry[]): Promise<void> {
  const rel = freshName(pick(dirs) ?? '', side, 'l');
  const target = rand() < 0.7 ? (pick(files)?.rel.split('/').pop() ?? 'nowhere') : `../x${seq}`;
  await symlink(target, join(root(sp, side), rel));
}

/** Opens a placeholder and reads it, as a program would: lazysync hydrates it. */
async function opOpen(sp: SoakPair, e: Entry): Promise<void> {
  await readFile(join(sp.p.local, e.rel));
}

async function driverStep(sp: SoakPair, side: Side, trash: string): Promise<void> {
  const entries = await listSide(sp, side, true);
  const files = entries.filter((e) => e.kind === 'file' || e.kind === 'placeholder');
  const dirs = ['', ...entries.filter((e) => e.kind === 'dir').map((e) => e.rel)];
  const links = entries.filter((e) => e.kind === 'symlink');
  const placeholders = entries.filter((e) => e.kind === 'placeholder');
  const full = files.length / TARGET_FILES; // steer the size: more creates below the target, more deletes above
  const weights: [string, number][] = [
    ['create', 16 / Math.max(full, 0.3)],
    ['edit', files.length ? 14 : 0],
    ['save', files.length ? 14 : 0],
    ['rename', files.length ? 8 : 0],
    ['delete', files.length ? 10 * full : 0],
    ['mkdir', dirs.length < 12 ? 4 : 1],
    ['rmdir', dirs.length > 1 ? 3 : 0],
    ['deltree', dirs.length > 4 ? 1.5 * full : 0],
    ['symlink', links.length < 10 ? 2 : 0.3],
    ['unlink', links.length ? 1.5 : 0],
    ['both-edit', files.length ? 2 : 0],
    ['open', side === 'L' && placeholders.length ? 5 : 0],
  ];
  let x = rand() * weights.reduce((a, [, w]) => a + w, 0);
  let op = 'create';
  for (const [name, w] of weights) {
    if ((x -= w) < 0) {
      op = name;
      break;
    }
  }
  const key = `${op}`;
  try {
    const file = pick(files);
    switch (op) {
      case 'create':
        await opCreate(sp, side, dirs);
        break;
      case 'edit':
        if (file) await opEdit(sp, side, file);
        break;
      case 'save':
        if (file) await opSave(sp, side, file);
        break;
      case 'rename':
        if (file) await opRename(sp, side, file, dirs);
        break;
      case 'delete':
        if (file) await opDelete(sp, side, file, trash);
        break;
      case 'both-edit':
        // The same file saved on the remote and then locally before a pass: a conflict (or an edit).
        if (file) {
          await opSave(sp, other(side), { rel: file.rel, kind: 'file' });
          await opSave(sp, side, file);
        }
        break;
      case 'mkdir':
        await opMkdir(sp, side, dirs);
        break;
      case 'rmdir': {
        const empty = [];
        for (const d of dirs.slice(1)) if (!entries.some((e) => e.rel.startsWith(`${d}/`))) empty.push(d);
        const d = pick(empty);
        if (d === undefined) throw Object.assign(new Error('no empty folder'), { code: 'NONE' });
        await rmdir(join(root(sp, side), d));
        break;
      }
      case 'deltree': {
        const small = dirs
          .slice(1)
          .filter((d) => entries.filter((e) => e.rel.startsWith(`${d}/`)).length <= 12);
        const d = pick(small);
        if (d === undefined) throw Object.assign(new Error('no small folder'), { code: 'NONE' });
        await opDelete(sp, side, { rel: d, kind: 'dir' }, trash);
        break;
      }
      case 'symlink':
        await opSymlink(sp, side, dirs, files);
        break;
      case 'unlink': {
        const l = pick(links);
        if (l) await opDelete(sp, side, l, trash);
        break;
      }
      case 'open': {
        const ph = pick(placeholders);
        if (ph) await opOpen(sp, ph);
        break;
      }
    }
    count(opCounts, `${key} ${side}`);
  } catch (e) {
    count(skipped, `${key} ${side}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

// ---- the daemon, the status monitor and memory ----

interface Ctx {
  remote: Remote;
  dir: DaemonDir;
  daemon: Daemon;
  pairs: SoakPair[];
  daemonStarts: number[];
  failures: string[];
  notes: string[];
}

const memoryWatch = new MemoryWatch(T0, PROBE_DIR, SNAPSHOT_AT);
const memory = memoryWatch.rss;
const statesSeen: Record<string, Record<string, number>> = {};
const maxProblems: Record<string, number> = {};

async function apiStatus(ctx: Ctx): Promise<ApiStatus | undefined> {
  try {
    const r = await apiRequest(ctx.dir.socket, 'GET', '/v1/status', undefined, 10_000);
    return r.status === 200 ? (r.json as ApiStatus) : undefined;
  } catch {
    return undefined;
  }
}

async function monitor(ctx: Ctx, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const s = await apiStatus(ctx);
    for (const p of s?.pairs ?? []) {
      const seen = (statesSeen[p.name] ??= {});
      seen[p.state] = (seen[p.state] ?? 0) + 1;
      maxProblems[p.name] = Math.max(maxProblems[p.name] ?? 0, p.counts.problems);
    }
    memoryWatch.tick(ctx.daemon.proc.pid);
    await sleep(2000);
  }
}

async function launchDaemon(ctx: Pick<Ctx, 'dir' | 'pairs'>, first: boolean): Promise<Daemon> {
  return startDaemon({
    dir: ctx.dir,
    writeConfig: first,
    pairs: ctx.pairs.map((sp) => specOf(sp.p, sp.name, { lazy: sp.lazy, interval: INTERVAL_S })),
  });
}

// ---- faults ----

interface FaultRecord {
  at: string;
  kind: string;
  outcome: string;
}
const faults: FaultRecord[] = [];

async function waitStates(ctx: Ctx, want: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  const got = new Set<string>();
  while (Date.now() < deadline && got.size < ctx.pairs.length) {
    for (const p of (await apiStatus(ctx))?.pairs ?? []) if (p.state === want) got.add(p.name);
    await sleep(250);
  }
  return [...got];
}

async function injectFault(ctx: Ctx, kind: string): Promise<void> {
  const at = since();
  let outcome = '';
  const outage = 8000;
  switch (kind) {
    case 'unmount':
    case 'kill-sshfs': {
      if (kind === 'unmount') await ctx.remote.unmount();
      else await ctx.remote.killSshfs();
      const paused = await waitStates(ctx, 'remote-unavailable', outage);
      await ctx.remote.mount();
      outcome = `remote down ${outage / 1000}s; pairs that reported remote-unavailable: ${paused.join(', ') || 'none'}`;
      const back = await waitStates(ctx, 'idle', 60_000);
      outcome += `; idle again: ${back.join(', ') || 'none'}`;
      break;
    }
    case 'daemon-sigterm': {
      const exit = await ctx.daemon.proc.stop('SIGTERM', 60_000).catch((e: Error) => e.message);
      if (typeof exit === 'string' || exit.code !== 0) {
        ctx.failures.push(
          `daemon restart at ${at}: SIGTERM exit ${JSON.stringify(exit)}\n${ctx.daemon.describe()}`,
        );
      }
      await sleep(3000); // changes go on while it is down
      ctx.daemon = await launchDaemon(ctx, false);
      ctx.daemonStarts.push(Date.now() - T0);
      outcome = `exit ${JSON.stringify(exit)}; down 3s; restarted as pid ${ctx.daemon.proc.pid}`;
      break;
    }
    case 'daemon-sigkill': {
      ctx.daemon.proc.kill('SIGKILL');
      const exit = await ctx.daemon.proc.exited;
      await sleep(3000);
      ctx.daemon = await launchDaemon(ctx, false);
      ctx.daemonStarts.push(Date.now() - T0);
      outcome = `exit ${JSON.stringify(exit)}; down 3s; restarted as pid ${ctx.daemon.proc.pid}`;
      break;
    }
  }
  faults.push({ at, kind, outcome });
  console.log(`[${since()}] fault ${kind}: ${outcome}`);
}

// Fractions of the run; the last daemon restart is early so the memory series has a long tail.
const SCHEDULE: [number, string][] = [
  [0.1, 'unmount'],
  [0.18, 'daemon-sigterm'],
  [0.26, 'kill-sshfs'],
  [0.34, 'daemon-sigkill'],
  [0.45, 'unmount'],
  [0.6, 'kill-sshfs'],
  [0.72, 'unmount'],
  [0.85, 'kill-sshfs'],
];

async function faultLoop(ctx: Ctx): Promise<void> {
  for (const [frac, kind] of SCHEDULE) {
    const at = T0 + frac * (END - T0);
    while (Date.now() < at) await sleep(Math.min(1000, at - Date.now()));
    try {
      await injectFault(ctx, kind);
    } catch (e) {
      ctx.failures.push(`fault ${kind} at ${since()}: ${(e as Error).message}`);
      if (!ctx.remote.isMounted()) await ctx.remote.mount().catch(() => undefined);
    }
  }
}

// ---- the end: quiet, then checks ----

async function quiesce(ctx: Ctx, sp: SoakPair): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let quiet = 0;
  let passes = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) {
      ctx.failures.push(
        `${sp.name}: no two quiet passes in a row within 10 minutes after the changes stopped`,
      );
      return;
    }
    ctx.daemon.assertRunning();
    const before = new Date().toISOString();
    await apiRequest(ctx.dir.socket, 'POST', `/v1/pairs/${sp.name}/rescan`, '{}');
    const st = await ctx.daemon.waitPair(
      sp.name,
      (p) => p.state === 'waiting-confirm' || (p.state === 'idle' && (p.lastPass?.finishedAt ?? '') > before),
      'a pass after the rescan',
      180_000,
    );
    passes++;
    if (st.state === 'waiting-confirm') {
      ctx.notes.push(`${sp.name}: waiting-confirm at the end (${st.reason}); confirmed`);
      await apiRequest(ctx.dir.socket, 'POST', `/v1/pairs/${sp.name}/resume`, '{"confirmDeletes":true}');
      quiet = 0;
      continue;
    }
    const lp = st.lastPass;
    quiet = lp !== null && lp.applied === 0 && lp.problems === 0 ? quiet + 1 : 0;
    if (passes > 30) {
      ctx.failures.push(`${sp.name}: still not quiet after 30 passes: ${JSON.stringify(lp)}`);
      return;
    }
  }
  ctx.notes.push(`${sp.name}: quiet after ${passes} final passes`);
}

interface Found {
  pair: string;
  side: Side;
  where: 'tree' | 'versions' | 'placeholder';
  rel: string;
}

/** Everything that holds content on both sides of a pair: the trees and the versions folders. */
async function indexPair(sp: SoakPair, index: Map<string, Found[]>): Promise<{ tmp: string[] }> {
  const tmp: string[] = [];
  const add = (h: string, f: Found) => {
    const l = index.get(h);
    if (l) l.push(f);
    else index.set(h, [f]);
  };
  const walkAll = async (side: Side, base: string, dir: string): Promise<void> => {
    for (const name of await readdir(join(base, dir))) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (name.startsWith('.lazysync-tmp-') || name.startsWith(DRIVER_TEMP))
        tmp.push(`${sp.name} ${side}:${rel}`);
      const abs = join(base, rel);
      const st = await lstat(abs);
      const inVersions = rel.startsWith('.lazysync/versions/');
      if (st.isDirectory()) await walkAll(side, base, rel);
      else if (st.isFile() && (inVersions || !rel.startsWith('.lazysync/'))) {
        add(sha(await readFile(abs)), {
          pair: sp.name,
          side,
          where: inVersions ? 'versions' : 'tree',
          rel: inVersions ? rel.slice('.lazysync/versions/'.length) : rel,
        });
      } else if (st.isSymbolicLink() && side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
        const h = await realCopySha(sp, 'R', rel);
        if (h !== undefined) add(h, { pair: sp.name, side, where: 'placeholder', rel });
      }
    }
  };
  await walkAll('L', sp.p.local, '');
  await walkAll('R', sp.p.server, '');
  return { tmp };
}

/** Both sides hold the same paths, kinds, bytes and link texts (a placeholder stands for its remote file). */
async function compareSides(sp: SoakPair): Promise<{ entries: number; diffs: string[] }> {
  const [l, r] = await Promise.all([listSide(sp, 'L', false), listSide(sp, 'R', false)]);
  const lm = new Map(l.map((e) => [e.rel, e.kind]));
  const rm_ = new Map(r.map((e) => [e.rel, e.kind]));
  const diffs: string[] = [];
  for (const rel of new Set([...lm.keys(), ...rm_.keys()])) {
    const lk = lm.get(rel);
    const rk = rm_.get(rel);
    if (lk === undefined || rk === undefined) {
      diffs.push(`${rel}: only on ${lk === undefined ? 'R' : 'L'} (${lk ?? rk})`);
      continue;
    }
    if (lk === 'placeholder' ? rk !== 'file' : lk !== rk) {
      diffs.push(`${rel}: L is ${lk}, R is ${rk}`);
      continue;
    }
    const la = join(sp.p.local, rel);
    const ra = join(sp.p.server, rel);
    if (lk === 'file' && !(await readFile(la)).equals(await readFile(ra)))
      diffs.push(`${rel}: contents differ`);
    if (lk === 'symlink' && (await readlink(la)) !== (await readlink(ra)))
      diffs.push(`${rel}: link texts differ`);
  }
  return { entries: lm.size, diffs };
}

/** A path with every conflict-copy decoration taken off its name. */
function undecorated(rel: string): string {
  const slash = rel.lastIndexOf('/');
  let name = rel.slice(slash + 1);
  for (let c = parseConflictName(name); c !== undefined; c = parseConflictName(name)) name = c.original;
  return rel.slice(0, slash + 1) + name;
}

interface LedgerResult {
  contents: number;
  live: number;
  liveOk: number;
  required: number;
  requiredOk: number;
  notRequired: number;
  displaced: string[];
  lost: string[];
}

function checkLedger(ctx: Ctx, index: Map<string, Found[]>): LedgerResult {
  const res: LedgerResult = {
    contents: ledger.size,
    live: 0,
    liveOk: 0,
    required: 0,
    requiredOk: 0,
    notRequired: 0,
    displaced: [],
    lost: [],
  };
  const describe = (c: Content, found: Found[]) =>
    `${c.pair} ${c.sha.slice(0, 12)} paths ${[...c.paths].join(', ')}; found: ${
      found.map((f) => `${f.side} ${f.where} ${f.rel}`).join(', ') || 'nowhere'
    }\n      ${c.history.join('\n      ')}`;
  for (const c of ledger.values()) {
    const found = (index.get(c.sha) ?? []).filter((f) => f.pair === c.pair);
    if (c.destroyedOn.size === 0) {
      res.live++;
      const home = new Set([...c.paths].map(undecorated)); // a conflict copy of a conflict copy counts too
      const atPath = (side: Side) =>
        found.some((f) => f.side === side && f.where !== 'versions' && home.has(undecorated(f.rel)));
      if (atPath('L') && atPath('R')) res.liveOk++;
      else if (found.length > 0) res.displaced.push(describe(c, found));
      else res.lost.push(`never overwritten or deleted by the driver, now nowhere: ${describe(c, found)}`);
      continue;
    }
    const required = [...c.copyOn].some((s) => !c.destroyedOn.has(s));
    if (!required) {
      res.notRequired++;
      continue;
    }
    res.required++;
    if (found.length > 0) res.requiredOk++;
    else res.lost.push(`destroyed by the driver while a copy was synced, now nowhere: ${describe(c, found)}`);
  }
  void ctx;
  return res;
}

// ---- main ----

async function main(): Promise<number> {
  console.log(`soak: ${MINUTES} min, pace ${PACE_MS} ms, seed ${SEED}, report ${REPORT}`);
  // What a SIGINT must undo synchronously (the remote fixture's own handler then unmounts and stops sshd).
  const live: { daemonPid?: number; dir?: string } = {};
  process.once('SIGINT', () => {
    if (live.daemonPid !== undefined) process.kill(live.daemonPid, 'SIGKILL');
    if (live.dir !== undefined) rmSync(live.dir, { recursive: true, force: true });
  });
  // no_contain_symlinks: sshfs's default refuses to read a ".." link through the mount (EPERM), and
  // lazysync then rightly leaves such a remote link alone; the soak's relative links are meant to sync.
  const remote = await startRemote({ sshfsOptions: [...NOCACHE_SSHFS_OPTIONS, 'no_contain_symlinks'] });
  const dir = await daemonDir();
  dir.env = { ...dir.env, ...memoryWatch.env() };
  live.dir = dir.dir;
  const trash = { L: join(remote.base, 'trash-L'), R: join(remote.base, 'trash-R') };
  await mkdir(trash.L);
  await mkdir(trash.R);
  const pairs: SoakPair[] = [
    { name: 'eager', lazy: false, p: await newPair(remote, 'eager') },
    { name: 'lazy', lazy: true, p: await newPair(remote, 'lazy') },
  ];
  let ctx: Ctx | undefined;
  const failures: string[] = [];
  try {
    // A starting tree on both sides, so the first sync is a union.
    for (const sp of pairs) {
      await mkdir(sp.p.local);
      for (const side of ['L', 'R'] as const) for (let i = 0; i < 15; i++) await opCreate(sp, side, ['']);
    }
    const daemon = await launchDaemon({ dir, pairs }, true);
    live.daemonPid = daemon.proc.pid;
    ctx = { remote, dir, daemon, pairs, daemonStarts: [0], failures, notes: [] };
    const c = ctx;
    for (const sp of pairs) await daemon.waitPass(sp.name, undefined, 120_000);
    let stopping = false;
    const mon = monitor(c, () => stopping);
    const faultsDone = faultLoop(c);
    let ops = 0;
    let lastReport = Date.now();
    while (Date.now() < END) {
      const sp = pick(pairs) as SoakPair;
      const side: Side = rand() < 0.5 ? 'L' : 'R';
      await driverStep(sp, side, trash[side]);
      live.daemonPid = c.daemon.proc.pid;
      ops++;
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const m = memory[memory.length - 1];
        const h = memoryWatch.probeSamples().pop();
        console.log(
          `[${since()}] ${ops} ops, ${ledger.size} contents, rss ${m ? (m.rssKiB / 1024).toFixed(1) : '?'} MiB, heap after GC ${h ? (h.heapUsed / 2 ** 20).toFixed(1) : '?'} MiB`,
        );
      }
      await sleep(PACE_MS);
    }
    await faultsDone;
    const changesEnd = Date.now() - T0;
    console.log(`[${since()}] changes stopped after ${ops} operations; final passes`);
    if (!remote.isMounted()) await remote.mount();
    if (c.daemon.proc.exitCode !== null || c.daemon.proc.signalCode !== null) {
      failures.push(`the daemon died on its own: ${c.daemon.describe()}`);
      c.daemon = await launchDaemon(c, false);
    }
    await c.daemon.waitFor(() => true, 'the daemon');
    for (const sp of pairs) await quiesce(c, sp);
    stopping = true;
    await mon;

    // Checks.
    const index = new Map<string, Found[]>();
    const tmp: string[] = [];
    const convergence: Record<string, { entries: number; diffs: string[] }> = {};
    for (const sp of pairs) {
      tmp.push(...(await indexPair(sp, index)).tmp);
      convergence[sp.name] = await compareSides(sp);
      const d = convergence[sp.name]?.diffs ?? [];
      if (d.length)
        failures.push(`${sp.name} did not converge (${d.length}):\n  ${d.slice(0, 30).join('\n  ')}`);
    }
    if (tmp.length) failures.push(`temp files left:\n  ${tmp.join('\n  ')}`);
    const led = checkLedger(c, index);
    if (led.lost.length)
      failures.push(`${led.lost.length} contents lost:\n  ${led.lost.slice(0, 20).join('\n  ')}`);
    const lastStart = c.daemonStarts[c.daemonStarts.length - 1] ?? 0;
    const mem = judgeMemory(
      memory,
      memoryWatch.probeSamples(),
      c.daemon.proc.pid ?? -1,
      lastStart,
      changesEnd,
      MEMORY_RULES,
    );
    if (mem.grew) failures.push(`daemon memory grew: ${mem.text}`);
    const exit = await c.daemon.proc.stop('SIGTERM', 60_000).catch((e: Error) => e.message);
    if (typeof exit === 'string' || exit.code !== 0) failures.push(`final SIGTERM: ${JSON.stringify(exit)}`);
    const versions = [...index.values()].flat().filter((f) => f.where === 'versions').length;
    const conflicts = [...index.values()]
      .flat()
      .filter((f) => f.where !== 'versions' && f.side === 'R' && undecorated(f.rel) !== f.rel).length;
    const logErrors = readFileSync(dir.logFile, 'utf8')
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l)).length;

    const summary = {
      date: new Date().toISOString(),
      minutes: MINUTES,
      paceMs: PACE_MS,
      seed: SEED,
      operations: opCounts,
      skipped,
      faults,
      daemonStarts: c.daemonStarts.map((t) => `${(t / 1000).toFixed(0)}s`),
      statesSeen,
      maxProblems,
      convergence: Object.fromEntries(
        Object.entries(convergence).map(([k, v]) => [k, { entries: v.entries, diffs: v.diffs.length }]),
      ),
      versionsFiles: versions,
      conflictCopies: conflicts,
      tempFilesLeft: tmp.length,
      ledger: { ...led, displaced: led.displaced.length, lost: led.lost.length },
      displaced: led.displaced,
      memory: mem.text,
      memoryFigures: mem.figures,
      memoryRules: MEMORY_RULES,
      changesEndS: Math.round(changesEnd / 1000),
      memorySeries: memory.map(
        (m) => `${(m.t / 1000).toFixed(0)}s pid ${m.pid} ${(m.rssKiB / 1024).toFixed(1)}`,
      ),
      memoryProbe: memoryWatch.probeSamples(),
      memoryProbeDir: PROBE_DIR,
      logErrorLines: logErrors,
      notes: c.notes,
      failures,
    };
    writeFileSync(REPORT, `${JSON.stringify(summary, null, 2)}\n`);
    printSummary(summary, led);
    if (failures.length) keepEvidence(remote, dir);
    return failures.length ? 1 : 0;
  } catch (e) {
    failures.push(`soak aborted: ${(e as Error).stack ?? String(e)}`);
    console.error(failures.join('\n'));
    keepEvidence(remote, dir);
    return 1;
  } finally {
    if (ctx) {
      const p = ctx.daemon.proc;
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await p.exited.catch(() => undefined);
      }
    }
    await remote.stop().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    await rm(dir.dir, { recursive: true, force: true });
  }
}

function keepEvidence(remote: Remote, dir: DaemonDir): void {
  const keep = join(tmpdir(), `lazysync-soak-evidence-${Date.now()}`);
  try {
    execFileSync('mkdir', ['-p', keep]);
    for (const d of ['server', 'local-eager', 'local-lazy']) {
      execFileSync('cp', ['-a', join(remote.base, d), keep], { stdio: 'ignore' });
    }
    execFileSync('cp', ['-a', dir.logFile, keep], { stdio: 'ignore' });
    console.error(`evidence kept in ${keep}`);
  } catch (e) {
    console.error(`could not keep evidence in ${keep}: ${(e as Error).message}`);
  }
}

function printSummary(s: Record<string, unknown>, led: LedgerResult): void {
  const show = (k: string) => console.log(`${k}: ${JSON.stringify(s[k])}`);
  console.log('\n==== soak summary ====');
  for (const k of ['minutes', 'seed', 'operations', 'skipped', 'daemonStarts', 'statesSeen', 'maxProblems']) {
    show(k);
  }
  for (const f of faults) console.log(`fault at ${f.at} ${f.kind}: ${f.outcome}`);
  for (const k of ['convergence', 'versionsFiles', 'conflictCopies', 'tempFilesLeft', 'ledger', 'memory'])
    show(k);
  show('logErrorLines');
  show('notes');
  if (led.displaced.length)
    console.log(`displaced (kept, not at their path):\n  ${led.displaced.join('\n  ')}`);
  const failures = s.failures as string[];
  console.log(failures.length ? `FAILED:\n${failures.join('\n')}` : 'PASSED');
}

process.exitCode = await main();
