// Byte comparison of two files, for deciding whether a "conflict" is really the same content twice.
import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import type { Action, Entry } from '../core/types.js';

const CHUNK = 1 << 20;

/**
 * Whether the executor compares the bytes of these two entries before acting on them: only two files of one
 * size can hold the same bytes.
 */
export function comparesBytes(local: Entry | undefined, remote: Entry | undefined): boolean {
  return local?.kind === 'file' && remote?.kind === 'file' && local.size === remote.size;
}

/**
 * How many bytes of each file applying `a` compares at most (0: none): a conflict between files of one size
 * (a first sync's `check` conflicts among them), a download that is skipped if the bytes are the same.
 */
export function bytesToCompare(a: Action): number {
  if (a.op === 'conflict' || (a.op === 'download' && a.unlessSame === true)) {
    return comparesBytes(a.local, a.remote) ? a.remote.size : 0;
  }
  return 0;
}

/**
 * True if both files hold the same bytes. Reads both in parallel, 1 MiB at a time, and stops at the first
 * difference. `onChunk` is told how many bytes of each file every step compared.
 */
export async function sameBytes(
  a: Buffer,
  b: Buffer,
  onChunk?: (n: number) => void | Promise<void>,
): Promise<boolean> {
  const [fa, fb] = await Promise.all([
    fs.open(a, constants.O_RDONLY | constants.O_NOFOLLOW),
    fs.open(b, constants.O_RDONLY | constants.O_NOFOLLOW),
  ]);
  try {
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ; pos += CHUNK) {
      const [na, nb] = await Promise.all([readFull(fa, ba, pos), readFull(fb, bb, pos)]);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (!ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      await onChunk?.(na); // a rate limit may hold the next read back
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Fills `buf` from `pos` unless the file ends first (network filesystems may return short reads). */
async function readFull(fh: fs.FileHandle, buf: Buffer, pos: number): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, pos + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}
