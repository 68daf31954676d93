// Values <-> columns of the state database: path keys, binary strings as BLOBs, entries as six columns.
import { fromKey, toKey } from '../core/paths.js';
import type { Entry, EntryKind, RelPath } from '../core/types.js';

/** Any char above 0xff: such a string is not a binary string and latin1 would silently mangle it. */
const WIDE_CHAR = /[\u0100-\uffff]/;

/** The BLOB key of a path (its bytes, '/' as NUL), whose memcmp order is comparePaths order. */
export function encodeKey(path: RelPath): Buffer {
  if (path.includes('\0') || WIDE_CHAR.test(path)) {
    throw new TypeError(`not a binary path string: ${JSON.stringify(path)}`);
  }
  return Buffer.from(toKey(path), 'latin1');
}

export function decodeKey(key: Buffer): RelPath {
  return fromKey(key.toString('latin1'));
}

/** A binary string as a BLOB; undefined as NULL ('' stays an empty BLOB, distinct from NULL). */
export function encodeBinary(s: string | undefined): Buffer | null {
  if (s === undefined) return null;
  if (WIDE_CHAR.test(s)) throw new TypeError(`not a binary string: ${JSON.stringify(s)}`);
  return Buffer.from(s, 'latin1');
}

export function decodeBinary(b: Buffer | null): string | undefined {
  return b === null ? undefined : b.toString('latin1');
}

/** The column values of one side, in schema order: kind, size, mtime, mode, ino, target. */
export type EntryParams = [EntryKind, number, number, number, number, Buffer | null];

/** `unreadable` is a scan observation, not synced state: it is not stored. */
export function entryParams(e: Entry): EntryParams {
  return [e.kind, e.size, e.mtime, e.mode, e.ino, encodeBinary(e.target)];
}

/** An Entry from its columns; `target` is present only when the column is not NULL. */
export function makeEntry(
  kind: string,
  size: number,
  mtime: number,
  mode: number,
  ino: number,
  target: Buffer | null,
): Entry {
  const e: Entry = { kind: kind as EntryKind, size, mtime, mode, ino };
  if (target !== null) e.target = target.toString('latin1');
  return e;
}

/** The parameters of a statement that takes one path key. */
export type KeyParams = [Buffer];

/** A row of a `count(*) AS n` (or a sum) query. */
export interface CountRow {
  n: number;
}
