// Atomic writes into a root: a temp file in the destination directory, copied, flushed, verified, renamed.
import { constants, type Stats } from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { stillAsPlanned } from '../core/changes.js';
import { display, TEMP_PREFIX } from '../core/paths.js';
import type { Entry, Side } from '../core/types.js';
import { hasCode, LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { entryFromStats, pooledLinkWriter, type LinkWriter } from './entry.js';
import { isAbsent } from './fserr.js';
import { remoteWrite } from './quiet.js';

// The executor's checks and directory helpers live in their own files; they are part of this API.
export { ensureDir, ensureParents } from './dirs.js';
export { expectEntry } from './expect.js';

const DEFAULT_BUFFER = 1 << 20;

/** Temp names of this process: a random prefix, then a counter (a random draw per file costs ~25 µs). */
const tempPrefix = TEMP_PREFIX + randomBytes(4).toString('hex');
let tempCounter = 0;

/** The temp files this process is writing right now (binary strings): never to be swept as strays. */
const writing = new Set<string>();

/**
 * True if `abs` is a temp file this process is writing right now (a copy or a link in flight, e.g. a
 * hydration or a pin): a pass that finds it in a scan must leave it alone.
 */
export function isTempInFlight(abs: Buffer): boolean {
  return writing.has(abs.toString('latin1'));
}

/** What this process's temp file names start with (TEMP_PREFIX and a random part drawn at start). */
export const OWN_TEMP_PREFIX = tempPrefix;

/** The temp-name prefix of `abs` if it is a lazysync temp file (TEMP_PREFIX + 8 hex chars), else undefined. */
export function tempPrefixOf(abs: Buffer): string | undefined {
  const name = abs.subarray(abs.lastIndexOf(0x2f) + 1).toString('latin1');
  return name.startsWith(TEMP_PREFIX) ? name.slice(0, TEMP_PREFIX.length + 8) : undefined;
}

/** A new temp path in the directory of `dst`: TEMP_PREFIX + 16 hex chars, a fixed 30-byte name. */
export function tempPathFor(dst: Buffer): Buffer {
  const slash = dst.lastIndexOf(0x2f);
  return tempPathIn(dst.subarray(0, slash + 1)); // '' when dst has no directory part
}

/** A new temp path in `dir`, which is '' or ends in '/'. */
function tempPathIn(dir: Buffer): Buffer {
  tempCounter = (tempCounter + 1) % 0x100000000;
  return Buffer.concat([dir, Buffer.from(tempPrefix + tempCounter.toString(16).padStart(8, '0'), 'latin1')]);
}

export interface CopyOptions {
  src: Buffer;
  dst: Buffer;
  /** The source as the plan saw it: a file with this size and mtime (whole seconds), and ino if not 0. */
  expect: Entry;
  /** Called with the temp path before the temp is created, so that it can be journalled. */
  onTemp?: (tmp: Buffer) => void | Promise<void>;
  /** Called after the copy is verified, right before the rename: check or version the destination here. */
  beforeRename?: () => Promise<void>;
  /**
   * Instead of the rename: puts the verified temp's content into `dst` itself (a file placeholder that a
   * program has open is filled in place, through the kernel's event). The temp is removed after.
   */
  instead?: (tmp: Buffer) => Promise<void>;
  /**
   * The folder for the temp file (a binary string), with `instead`: not beside `dst`, whose folder would
   * change while programs read it (GNU tar reports a folder that changed as it was read).
   */
  stageIn?: string;
  /** Called after each chunk is written; a rate limiter can delay by not resolving at once. */
  onChunk?: (bytes: number) => void | Promise<void>;
  bufferSize?: number;
  /** The side `dst` is on, for the returned Entry (ino is 0 on the remote). Default 'local'. */
  dstSide?: Side;
  /**
   * The source's size and mtime as they are now, read past any cache (undefined: no longer a file there),
   * for the check after the copy. Without it the source is looked at by its handle and its path, which a
   * network mount may answer from its cache: a rewrite during the copy would then go unseen.
   */
  sourceNow?: () => Promise<{ size: number; mtimeMs: number } | undefined>;
}

/**
 * Copy the file `src` over `dst` atomically, with expect's mode and mtime. Opens the source without
 * following a symlink and throws LazysyncError('changed') if it is not the file the plan saw, or if it
 * changed during the copy (size, mtime or, locally, inode). On any failure the temp file is removed and
 * the first error is rethrown; `dst` is then untouched (unless beforeRename changed it).
 * Returns the Entry of the written file as lstat saw it just before the rename: record that, not expect
 * (utimes keeps mtime to about a microsecond only, and the remote keeps whole seconds).
 * A race this cannot close: a write to the source that changes neither its size nor its mtime (the same
 * clock tick locally, the same second on the remote) between the two checks goes unseen.
 */
export async function copyFileAtomic(opts: CopyOptions): Promise<Entry> {
  const { src, dst, expect } = opts;
  const dstSide = opts.dstSide ?? 'local';
  const changed = (why: string): LazysyncError =>
    new LazysyncError('changed', `${display(src.toString('latin1'))}: ${why}; will retry`);
  let input: FileHandle | undefined;
  let output: FileHandle | undefined;
  let tmp: Buffer | undefined;
  let tmpName: string | undefined;
  try {
    try {
      input = await fsp.open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (isAbsent(e) || hasCode(e, 'ELOOP')) throw changed('no longer the file that was scanned');
      throw e;
    }
    const before = await input.stat();
    // Read as a local entry to have the inode: the plan's entry says whether it counts (0 on the remote).
    const seen = entryFromStats(before, 'local');
    if (seen === undefined || !stillAsPlanned(seen, expect)) throw changed('changed since it was scanned');

    tmp =
      opts.stageIn === undefined ? tempPathFor(dst) : tempPathIn(Buffer.from(`${opts.stageIn}/`, 'latin1'));
    tmpName = tmp.toString('latin1');
    writing.add(tmpName);
    await opts.onTemp?.(tmp);
    faultPoint('copy: create temp', tmp);
    output = await fsp.open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      // The final permissions at once (less the umask): usually nothing is left to chmod, a round trip saved.
      expect.mode & 0o777,
    );
    const copied = await copyData(
      input,
      output,
      opts.bufferSize ?? DEFAULT_BUFFER,
      expect.size,
      opts.onChunk,
      dstSide,
    );
    if (copied !== expect.size) throw changed('changed size during the copy');
    faultPoint('copy: fsync temp', tmp);
    await output.sync();
    await output.close();
    output = undefined;
    // After close: closing a file written through a network mount may set its mtime.
    faultPoint('copy: utimes temp', tmp);
    let written: Stats;
    try {
      await fsp.lutimes(tmp, Date.now() / 1000, expect.mtime / 1000);
      written = await fsp.lstat(tmp);
      if ((written.mode & 0o7777) !== expect.mode) {
        // The umask took bits away, or setuid/setgid/sticky bits are wanted. chmod leaves the mtime alone.
        faultPoint('copy: chmod temp', tmp);
        await fsp.chmod(tmp, expect.mode);
        written = await fsp.lstat(tmp);
      }
    } catch (e) {
      // Written through its handle but gone by its name: the folder was removed, or the filesystem was
      // unmounted under the copy (a lazy unmount). Never recreate the folder and copy again: that would
      // write into whatever is at the path now, e.g. a bare mount point.
      if (isAbsent(e)) throw changed('the temporary copy vanished from the destination folder');
      throw e;
    }

    if (!(await sourceUnchanged(opts, input, before))) throw changed('changed during the copy');
    await opts.beforeRename?.();
    if (opts.instead !== undefined) {
      await opts.instead(tmp);
      return entryFromStats(written, dstSide) as Entry;
    }
    faultPoint('copy: rename temp into place', dst);
    await fsp.rename(tmp, dst);
    tmp = undefined;
    return entryFromStats(written, dstSide) as Entry;
  } finally {
    await output?.close().catch(() => undefined);
    await input?.close().catch(() => undefined);
    if (tmp !== undefined) {
      faultPoint('copy: remove temp', tmp);
      await fsp.unlink(tmp).catch(() => undefined);
    }
    if (tmpName !== undefined) writing.delete(tmpName);
  }
}

/**
 * Whether the source is still the file `before` describes: looked at by its handle and by its path (the
 * same inode locally), or, with opts.sourceNow, as the server has it now.
 */
async function sourceUnchanged(opts: CopyOptions, input: FileHandle, before: Stats): Promise<boolean> {
  if (opts.sourceNow !== undefined) {
    const now = await opts.sourceNow();
    return now !== undefined && now.size === before.size && now.mtimeMs === before.mtimeMs;
  }
  const after = await input.stat();
  let atPath: Stats | undefined;
  try {
    atPath = await fsp.lstat(opts.src);
  } catch (e) {
    if (!isAbsent(e)) throw e;
  }
  const withIno = opts.expect.ino !== 0; // the remote's inode numbers are not trusted
  return sameFile(before, after, withIno) && atPath?.isFile() === true && sameFile(before, atPath, withIno);
}

/** Two looks at the source on the same side: exact size and mtime, and (locally) the same inode. */
function sameFile(a: Stats, b: Stats, withIno: boolean): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && (!withIno || a.ino === b.ino);
}

/** Reads of the source in flight at once: each is a round trip on a network mount (measured: 1.5x cp's time with one). */
const READ_AHEAD = 4;
/** A local destination is flushed in the background every this many bytes, so the final fsync waits for little. */
const FLUSH_EVERY = 32 << 20;

/**
 * Copies `input` to `output` from offset 0 to the source's end, reading ahead of the writes. Returns the
 * bytes copied: more than `expected` means the source grew (the copy stops there), fewer that it shrank.
 * To the local disk, written data is synced in the background as the copy goes on (that overlaps with
 * the reads; on a network mount a sync only stalls the server). To the remote, each write keeps clear of
 * fresh checks (see quiet.ts).
 */
async function copyData(
  input: FileHandle,
  output: FileHandle,
  bufferSize: number,
  expected: number,
  onChunk: CopyOptions['onChunk'],
  dstSide: Side,
): Promise<number> {
  const flushAhead = dstSide === 'local';
  const chunk = Math.max(4096, bufferSize);
  const reads: Promise<{ buf: Buffer; pos: number; n: number }>[] = [];
  let next = 0;
  // Reads up to the expected end and one byte past it, which tells the end of file from a source that grew.
  const readAhead = (): void => {
    while (reads.length < READ_AHEAD && next <= expected) {
      const pos = next;
      const buf = Buffer.allocUnsafe(Math.min(chunk, expected - pos + 1));
      reads.push(
        handled(input.read(buf, 0, buf.length, pos).then(({ bytesRead }) => ({ buf, pos, n: bytesRead }))),
      );
      next += buf.length;
    }
  };
  let flushing: Promise<unknown> = Promise.resolve();
  let flushedUpTo = 0;
  const copy = async (): Promise<number> => {
    readAhead();
    let copied = 0;
    while (reads.length > 0) {
      const { buf, pos, n } = await reads.shift()!;
      if (n === 0) break;
      let off = 0;
      while (off < n) {
        const write = async (): Promise<number> =>
          (await output.write(buf, off, n - off, pos + off)).bytesWritten;
        const bytesWritten = await (dstSide === 'remote' ? remoteWrite(write) : write());
        off += bytesWritten;
      }
      copied = pos + n;
      if (copied > expected) break; // grew: no point copying the rest
      if (n < buf.length) {
        // The end of file, or (never seen on Linux) a partial read: the reads ahead are dropped and the
        // next read starts here, so a file that shrank or ends here reads 0 and one that did not goes on.
        await Promise.allSettled(reads.splice(0));
        next = copied;
      }
      if (flushAhead && copied - flushedUpTo >= FLUSH_EVERY) {
        flushedUpTo = copied;
        flushing = handled(flushing.then(() => output.datasync()));
      }
      await onChunk?.(n);
      readAhead();
    }
    return copied;
  };
  try {
    const copied = await copy();
    // A write-back error is reported by one sync only: the background one's must not be lost.
    await flushing;
    return copied;
  } finally {
    // Nothing may still use the handles when the caller closes them, and no rejection may go unhandled.
    await Promise.allSettled([...reads, flushing]);
  }
}

/** `p` itself, marked as handled: its rejection surfaces where it is awaited, not as an unhandled one before. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Runs `fn` with a new temp path beside `dst`, known as in flight (never swept as a stray) while it runs;
 * if `fn` fails, whatever it left at the temp path is removed.
 */
export async function withTempBeside<T>(dst: Buffer, fn: (tmp: Buffer) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(dst);
  const tmpName = tmp.toString('latin1');
  writing.add(tmpName);
  try {
    return await fn(tmp);
  } catch (e) {
    faultPoint('temp: remove after a failure', tmp);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    writing.delete(tmpName);
  }
}

/**
 * Make `dst` a symlink with link text `target` (bytes, verbatim, relative ones included): created at a
 * temp name and renamed into place, so it replaces an existing non-directory atomically.
 */
export function symlinkAtomic(
  target: Buffer,
  dst: Buffer,
  beforeRename?: () => Promise<void>,
  onTemp?: (tmp: Buffer) => void | Promise<void>,
  io: LinkWriter = pooledLinkWriter,
): Promise<void> {
  return withTempBeside(dst, async (tmp) => {
    await onTemp?.(tmp);
    faultPoint('symlink: create temp', tmp);
    await io.symlink(target, tmp);
    await beforeRename?.();
    faultPoint('symlink: rename temp into place', dst);
    await io.rename(tmp, dst);
  });
}

/**
 * Make `dst` a symlink where the plan saw nothing: in place, since symlink(2) makes the whole link or
 * nothing and fails if anything is there. Half the calls of symlinkAtomic (no temp, no rename); a first
 * lazy sync makes one per remote file. Throws LazysyncError('changed') if something appeared at `dst`.
 */
export async function symlinkNew(
  target: Buffer,
  dst: Buffer,
  beforeCreate?: () => Promise<void>,
  io: LinkWriter = pooledLinkWriter,
): Promise<void> {
  await beforeCreate?.();
  faultPoint('symlink: create in place', dst);
  try {
    await io.symlink(target, dst);
  } catch (e) {
    if (!hasCode(e, 'EEXIST')) throw e;
    throw new LazysyncError(
      'changed',
      `${display(dst.toString('latin1'))}: appeared since the scan; will retry`,
    );
  }
}

/** Remove a stray temp file (a name starting with TEMP_PREFIX, nothing else); absent is fine. */
export async function sweepTemp(abs: Buffer): Promise<void> {
  const name = abs.subarray(abs.lastIndexOf(0x2f) + 1).toString('latin1');
  if (!name.startsWith(TEMP_PREFIX)) {
    throw new LazysyncError(
      'io',
      `${display(abs.toString('latin1'))}: not a lazysync temp file; not removed`,
    );
  }
  faultPoint('sweep: remove stray temp', abs);
  try {
    await fsp.unlink(abs);
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) throw e;
  }
}
