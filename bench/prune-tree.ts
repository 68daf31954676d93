// The tree of the prune benchmark (bench/prune.ts): a small synced tree, and versions of its files placed
// in the server's own folder exactly as lazysync would have kept them (names keepVersion gives, recorded in
// the pair's ledger), with the checks that a prune or a clean-up by hand left what it should.
import { mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { versionName } from '../src/core/names.js';
import { STATE_DIR } from '../src/core/paths.js';
import { Archive } from '../src/store/archive.js';
import type { LedgerVersion } from '../src/store/archive-versions.js';
import { stampOf } from '../src/versions/stamp.js';
import { VERSIONS_DIR } from '../src/versions/versions.js';
import { lstat } from './move-tree.js';

export const FOLDERS = 20;
export const FILES_PER_FOLDER = 5;
/** Bytes of every file and every version. */
export const SIZE = 4096;
/** Versions are kept a minute apart, the newest this long before now: old enough for `1d`. */
const NEWEST_AGE_MS = 2 * 86_400_000;

const folder = (d: number): string => `d${String(d).padStart(2, '0')}`;
const fileRel = (d: number, f: number): string => `${folder(d)}/f${f}.txt`;
const content = (rel: string, tag: string): string => `${rel} ${tag}\n`.padEnd(SIZE, '.');

export function makeTree(root: string): void {
  for (let d = 0; d < FOLDERS; d++) {
    mkdirSync(path.join(root, folder(d)), { recursive: true });
    for (let f = 0; f < FILES_PER_FOLDER; f++)
      writeFileSync(path.join(root, fileRel(d, f)), content(fileRel(d, f), 'now'));
  }
}

/** What is wrong with the synced files under `root` (empty: all is well). */
export function checkTree(root: string): string[] {
  let wrong = 0;
  let extra = 0;
  for (let d = 0; d < FOLDERS; d++) {
    const names = readdirSync(path.join(root, folder(d)));
    extra += Math.max(0, names.length - FILES_PER_FOLDER);
    for (let f = 0; f < FILES_PER_FOLDER; f++) {
      const p = path.join(root, fileRel(d, f));
      if (!lstat(p)?.isFile() || readFileSync(p, 'utf8') !== content(fileRel(d, f), 'now')) wrong++;
    }
  }
  return [
    ...(wrong > 0 ? [`${wrong} synced file(s) missing or changed`] : []),
    ...(extra > 0 ? [`${extra} unexpected file(s) beside the synced ones`] : []),
  ];
}

/**
 * Replaces `root`'s versions folder (on the server's own disk, not through the mount) with `n` versions of
 * the tree's files, oldest first, spread over every file (the i-th is a version of file i mod 100), a
 * minute apart: names as keepVersion gives them, mtimes in whole seconds (as the mount shows them).
 * Returns them as the ledger records them, in the order they would have been kept.
 */
export function placeVersions(root: string, n: number, now: number): LedgerVersion[] {
  rmSync(path.join(root, VERSIONS_DIR), { recursive: true, force: true });
  const files = FOLDERS * FILES_PER_FOLDER;
  const newest = Math.floor((now - NEWEST_AGE_MS) / 1000) * 1000;
  const out: LedgerVersion[] = [];
  for (let d = 0; d < FOLDERS; d++) mkdirSync(path.join(root, VERSIONS_DIR, folder(d)), { recursive: true });
  for (let i = 0; i < n; i++) {
    const d = i % FOLDERS;
    const f = Math.floor(i / FOLDERS) % FILES_PER_FOLDER;
    const rel = fileRel(d, f);
    const made = newest - (n - 1 - i) * 60_000;
    const file = `${VERSIONS_DIR}/${folder(d)}/${versionName(`f${f}.txt`, stampOf(made))}`;
    const abs = path.join(root, file);
    writeFileSync(abs, content(rel, `version ${Math.floor(i / files)}`));
    utimesSync(abs, made / 1000, made / 1000);
    out.push({
      side: 'remote',
      path: rel,
      file,
      made,
      kind: 'file',
      size: SIZE,
      mtime: made,
    });
  }
  return out;
}

/** Records `rows` in the ledger of the pair whose local folder is `local` (no lazysync may be running on it). */
export function recordVersions(local: string, rows: LedgerVersion[]): void {
  const archive = Archive.open(path.join(local, STATE_DIR));
  try {
    const { count } = archive.versions.usage().remote;
    if (count > 0) throw new Error(`the ledger already records ${count} remote version(s)`);
    archive.transaction(() => rows.forEach((r) => archive.versions.add(r)));
  } finally {
    archive.close();
  }
}

/** Versions the ledger of the pair at `local` records, both sides. */
export function ledgerCount(local: string): number {
  const archive = Archive.open(path.join(local, STATE_DIR));
  try {
    const u = archive.versions.usage();
    return u.local.count + u.remote.count;
  } finally {
    archive.close();
  }
}

/** Files and folders left under `root`'s versions folder (undefined: the versions folder is gone). */
export function leftInVersions(root: string): { files: number; folders: number } | undefined {
  const top = path.join(root, VERSIONS_DIR);
  if (!lstat(top)?.isDirectory()) return undefined;
  const left = { files: 0, folders: 0 };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        left.folders++;
        walk(path.join(dir, e.name));
      } else left.files++;
    }
  };
  walk(top);
  return left;
}
