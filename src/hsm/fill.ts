// Writes a placeholder's content through a permission event's fd. Writes through that fd raise no event
// (the kernel opens it FMODE_NONOTIFY); its ftruncate does, from our own thread, which the supervisor allows.
import fs from 'node:fs';
import { promisify } from 'node:util';

const write = promisify(fs.write);
const fstat = promisify(fs.fstat);
const ftruncate = promisify(fs.ftruncate);
const futimes = promisify(fs.futimes);

const CHUNK = 1 << 20;

/**
 * Copies the file `from` into the file open as `fd`, from offset 0, makes `fd`'s file exactly as long as
 * `from`, and sets its mtime. Async: the event loop keeps answering other events meanwhile. On failure
 * the file is put back as it was (size and times, no data blocks), so a half fill never looks like a
 * local edit, and the error is thrown.
 */
export async function fillFromFile(fd: number, from: Buffer, mtimeMs: number): Promise<number> {
  const before = await fstat(fd);
  try {
    return await copyInto(fd, from, mtimeMs);
  } catch (e) {
    await ftruncate(fd, 0).catch(() => undefined);
    await ftruncate(fd, before.size).catch(() => undefined);
    await futimes(fd, before.atime, before.mtime).catch(() => undefined);
    throw e;
  }
}

async function copyInto(fd: number, from: Buffer, mtimeMs: number): Promise<number> {
  const src = await fs.promises.open(from, 'r');
  let total = 0;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, CHUNK, total);
      if (bytesRead === 0) break;
      let done = 0;
      while (done < bytesRead) {
        done += (await write(fd, buf, done, bytesRead - done, total + done)).bytesWritten;
      }
      total += bytesRead;
    }
  } finally {
    await src.close();
  }
  if ((await fstat(fd)).size !== total) await ftruncate(fd, total);
  await futimes(fd, Date.now() / 1000, mtimeMs / 1000);
  return total;
}

/**
 * Empties the file open as `fd` before its marker goes (an open that overwrites it, O_TRUNC): the program
 * would truncate it anyway, and meanwhile nobody may read the placeholder's size as zeros.
 */
export async function emptyFile(fd: number): Promise<void> {
  await ftruncate(fd, 0);
}
