// Test helpers for the archive: entries of every kind with byte names and exact mtimes, records of them,
// and temp state folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchiveRecord, Entry, RelPath } from '../../src/core/types.js';

// Entry vocabulary: t<Kind><n>; tSR is a relative user symlink, tP a placeholder.
export const tF1: Entry = {
  kind: 'file',
  size: 1234,
  mtime: 1700000000123 + 0.4567,
  mode: 0o644,
  ino: 98765,
};
export const tF1r: Entry = { kind: 'file', size: 1234, mtime: 1700000000000, mode: 0o600, ino: 0 };
export const tF0: Entry = { kind: 'file', size: 0, mtime: 0.1 + 0.2, mode: 0, ino: 0 };
export const tFbig: Entry = {
  kind: 'file',
  size: 2 ** 40 + 3,
  mtime: 1e15 + 0.5,
  mode: 0o7777,
  ino: 2 ** 53 - 1,
};
export const tD: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 42 };
export const tDr: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
export const tSR: Entry = {
  kind: 'symlink',
  size: 0,
  mtime: 1699999999999.999,
  mode: 0,
  ino: 7,
  target: '../x y/\n\xff\x01',
};
export const tSE: Entry = { kind: 'symlink', size: 0, mtime: 5, mode: 0, ino: 8, target: '' };
export const tSRr: Entry = {
  kind: 'symlink',
  size: 0,
  mtime: 1699999999000,
  mode: 0,
  ino: 0,
  target: '../x y/\n\xff\x01',
};
export const tP: Entry = {
  kind: 'placeholder',
  size: 0,
  mtime: 1.5,
  mode: 0,
  ino: 9,
  target: '/mnt/r/caf\xc3\xa9 \xff\n',
};

export const rec = (path: RelPath, local: Entry, remote: Entry): ArchiveRecord => ({ path, local, remote });

let dirs: string[] = [];

/** A state folder path (L/.lazysync, not made yet) in a fresh temp dir; removeTempStateDirs deletes them. */
export function tempStateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lazysync-archive-'));
  dirs.push(d);
  return join(d, '.lazysync');
}

export function removeTempStateDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
}
