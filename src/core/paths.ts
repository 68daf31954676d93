// Byte-exact relative paths ("binary" strings) and the one order every stream in a pass is sorted by.
import type { RelPath } from './types.js';

/**
 * The scan order: depth-first, each directory's entries by name bytes, a directory right before its
 * contents. It is plain byte order of the path with '/' counted as the lowest byte, so "a", "a/x", "a-b".
 * The archive stores keys with '/' replaced by NUL (see toKey), and SQLite's memcmp order of those keys is
 * this same order.
 */
export function comparePaths(a: RelPath, b: RelPath): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) x = -1;
    if (y === 0x2f) y = -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The archive key of a path: its bytes with '/' replaced by NUL, which no name can contain. */
export function toKey(p: RelPath): string {
  return p.replaceAll('/', '\0');
}

export function fromKey(k: string): RelPath {
  return k.replaceAll('\0', '/');
}

export function joinPath(dir: RelPath, name: string): RelPath {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentOf(p: RelPath): RelPath {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function baseName(p: RelPath): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * The folder at the root of each side that holds lazysync's own things (on L the archive, on R the marker;
 * versions and the probe's scratch on both). Never synced, never watched.
 */
export const STATE_DIR = '.lazysync';

/**
 * What every temp file of a copy is named from (atomic.ts adds this process's random part): the scan skips
 * such names, the watchers never take them for a user's change, and a start sweeps them. ASCII, so the
 * same as a binary string.
 */
export const TEMP_PREFIX = '.lazysync-tmp-';

/** True if `p` is `dir` or lies below it. */
export function isWithin(p: RelPath, dir: RelPath): boolean {
  return dir === '' || p === dir || p.startsWith(`${dir}/`);
}

/** Absolute `abs` relative to the absolute `root` ('' for the root itself), or undefined outside it. */
export function relativeInside(abs: string, root: string): RelPath | undefined {
  if (abs === root) return '';
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return abs.startsWith(prefix) ? abs.slice(prefix.length) : undefined;
}

/** A binary string from a UTF-8 (JS) string, e.g. a user-given pattern or path. */
export function binaryFromText(s: string): string {
  return utf8Encode(s);
}

/**
 * A path for people: UTF-8 where the bytes are valid UTF-8, other bytes as \xNN, and control characters
 * (newline, tab...) escaped so one path is always one line.
 */
export function display(p: RelPath): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p.charCodeAt(i);
    const len =
      c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 1) {
      out += c < 0x20 || c === 0x7f || c === 0x5c ? escapeByte(c) : p[i];
      i += 1;
      continue;
    }
    if (len > 1 && i + len <= p.length && isContinuation(p, i + 1, len - 1)) {
      const decoded = utf8Decode(p.slice(i, i + len));
      if (decoded !== undefined) {
        out += decoded;
        i += len;
        continue;
      }
    }
    out += escapeByte(c);
    i += 1;
  }
  return out;
}

function escapeByte(c: number): string {
  switch (c) {
    case 0x0a:
      return '\\n';
    case 0x09:
      return '\\t';
    case 0x5c:
      return '\\\\';
    default:
      return `\\x${c.toString(16).padStart(2, '0')}`;
  }
}

function isContinuation(p: string, from: number, count: number): boolean {
  for (let j = from; j < from + count; j++) {
    const c = p.charCodeAt(j);
    if (c < 0x80 || c > 0xbf) return false;
  }
  return true;
}

// TextDecoder/TextEncoder are globals in every JS runtime, not Node I/O, so the core may use them.
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function utf8Decode(bytes: string): string | undefined {
  const arr = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) arr[i] = bytes.charCodeAt(i);
  try {
    return strictDecoder.decode(arr);
  } catch {
    return undefined;
  }
}

function utf8Encode(s: string): string {
  const arr = encoder.encode(s);
  let out = '';
  for (const b of arr) out += String.fromCharCode(b);
  return out;
}
