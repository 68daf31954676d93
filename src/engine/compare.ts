// Byte comparison of two files, for deciding whether a "conflict" is really the same content twice.
import fs from 'node:fs/promises';
import { constants } from 'node:fs';

const CHUNK = 1 << 20;

/** True if both files hold the same bytes. Reads both in parallel, 1 MiB at a time, and stops at the first difference. */
export async function sameBytes(a: Buffer, b: Buffer): Promise<boolean> {
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
