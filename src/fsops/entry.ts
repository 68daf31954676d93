// One path's lstat as an Entry: byte-exact absolute paths, symlinks never followed, placeholders told apart.
import fs, { type Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import { isUnchanged } from '../core/changes.js';
import { STATE_DIR, display } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { hasCode, LazysyncError } from '../errors.js';
import { isAbsent, isMountGone } from './fserr.js';
import { filePlaceholderOf } from './placeholder-xattr.js';

/** `root/rel` as a binary string ('' is the root itself). Both are binary strings. */
export function joinAbs(root: string, rel: RelPath): string {
  if (rel === '') return root;
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}

/** `root/rel` as the Buffer every fs call gets, so names that are not UTF-8 survive. */
export function absOf(root: string, rel: RelPath): Buffer {
  return Buffer.from(joinAbs(root, rel), 'latin1');
}

/** The link text of the placeholder of `rel`: the absolute remote path. Making and recognising use this. */
export function placeholderTarget(remoteRoot: string, rel: RelPath): string {
  return joinAbs(remoteRoot, rel);
}

/**
 * A symlink is a placeholder when it is on the local side and its link text is exactly the remote path of
 * the same rel; any other symlink is user data, except one whose text is the remote path of another rel: a
 * placeholder moved or copied there (`placeholderOf`). The scanner and lstatEntry both decide with this.
 */
export function symlinkEntry(target: string, rel: RelPath, side: Side, placeholderRoot?: string): Entry {
  const entry: Entry = { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0, target };
  if (side !== 'local' || placeholderRoot === undefined) return entry;
  const of = remoteRelOf(target, placeholderRoot);
  if (of === rel) return { ...entry, kind: 'placeholder' };
  if (of !== undefined) entry.placeholderOf = of;
  return entry;
}

/** The rel whose placeholder text `target` is, if it is one (a synced path below the remote root). */
function remoteRelOf(target: string, remoteRoot: string): RelPath | undefined {
  const prefix = placeholderTarget(remoteRoot, '');
  const start = prefix.endsWith('/') ? prefix : `${prefix}/`;
  if (!target.startsWith(start)) return undefined;
  const rel = target.slice(start.length);
  const parts = rel.split('/');
  if (parts[0] === STATE_DIR || parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return rel;
}

/**
 * A local file whose attribute names a path (see placeholder-xattr.ts) is told apart as a link placeholder
 * is, by the text a link to that path's remote file would hold; it also keeps its own size, time, mode and
 * inode (the inode is what the kernel's access events name). One that names no syncable path is left alone.
 */
function localFileEntry(abs: Buffer, st: Stats, rel: RelPath, placeholderRoot?: string): Entry | undefined {
  const of = placeholderRoot === undefined ? undefined : filePlaceholderOf(abs, st);
  if (of === undefined || placeholderRoot === undefined) return entryFromStats(st, 'local');
  const text = placeholderTarget(placeholderRoot, of);
  const own = { size: st.size, mtime: st.mtimeMs, mode: st.mode & 0o7777, ino: st.ino };
  const byText = symlinkEntry(text, rel, 'local', placeholderRoot);
  if (byText.kind === 'placeholder' || byText.placeholderOf !== undefined) return { ...byText, ...own };
  return { ...byText, ...own, unreadable: true };
}

/** The kind of a special file (never synced), or undefined for files, dirs and symlinks. */
export function specialKind(st: Stats): 'fifo' | 'socket' | 'device' | undefined {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  return undefined;
}

/**
 * An Entry from lstat results; `target` is the link text (binary string) of a symlink.
 * Returns undefined for special files. Symlinks come out as 'symlink': see symlinkEntry.
 */
export function entryFromStats(st: Stats, side: Side, target?: string): Entry | undefined {
  const ino = side === 'local' ? st.ino : 0;
  if (st.isFile()) return { kind: 'file', size: st.size, mtime: st.mtimeMs, mode: st.mode & 0o7777, ino };
  if (st.isDirectory()) return { kind: 'dir', size: 0, mtime: 0, mode: st.mode & 0o7777, ino };
  if (st.isSymbolicLink()) {
    const e: Entry = { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0 };
    if (target !== undefined) e.target = target;
    return e;
  }
  return undefined;
}

/** The read-only calls a scan makes; every path is a Buffer (bytes). */
export interface FsReader {
  lstat(abs: Buffer): Promise<Stats>;
  readlink(abs: Buffer): Promise<Buffer>;
  readdir(abs: Buffer): Promise<Buffer[]>;
}

/** Through libuv's threadpool: many calls in flight, each a round trip on a network mount. */
export const pooledReader: FsReader = {
  lstat: (abs) => fsp.lstat(abs),
  readlink: (abs) => fsp.readlink(abs, { encoding: 'buffer' }),
  readdir: (abs) => fsp.readdir(abs, { encoding: 'buffer' }),
};

/**
 * Blocking calls, for the local disk only: there a call takes microseconds and the threadpool's hand-off
 * costs several times more (measured: 100,000 lstats in 0.9 s blocking, 4-7 s through the pool). Never
 * for the remote: a blocking call on a network mount stalls the whole process for a round trip.
 */
export const blockingReader: FsReader = {
  lstat: async (abs) => fs.lstatSync(abs),
  readlink: async (abs) => fs.readlinkSync(abs, { encoding: 'buffer' }),
  readdir: async (abs) => fs.readdirSync(abs, { encoding: 'buffer' }),
};

/** The calls that make a symlink; every path is a Buffer (bytes). */
export interface LinkWriter {
  symlink(target: Buffer, abs: Buffer): Promise<void>;
  rename(from: Buffer, to: Buffer): Promise<void>;
}

export const pooledLinkWriter: LinkWriter = {
  symlink: (target, abs) => fsp.symlink(target, abs),
  rename: (from, to) => fsp.rename(from, to),
};

/**
 * Blocking, for the local disk only, for the reason blockingReader is: a local call takes microseconds and
 * the pool's hand-off several times more. Placeholders are made by the thousand in one folder, where pool
 * threads creating links would also contend with the main thread's lstats for the folder's lock. (On a
 * first lazy sync its gain is smaller than the spread of a disk's speed from one run to the next.)
 */
export const blockingLinkWriter: LinkWriter = {
  symlink: async (target, abs) => fs.symlinkSync(target, abs),
  rename: async (from, to) => fs.renameSync(from, to),
};

/**
 * statfs magic numbers of filesystems that live on a local disk or in memory (ext2-4, xfs, btrfs, tmpfs,
 * f2fs, zfs, overlayfs, bcachefs, ramfs, jfs, nilfs2). FUSE, NFS, SMB and anything unknown are not here.
 */
const LOCAL_DISK_FS = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0xf2f52010, 0x2fc12fc1, 0x794c7630, 0xca451a4e, 0x858458f6,
  0x3153464a, 0x3434,
]);

/**
 * The reader for scanning a remote root: blocking calls when it is on a local-disk filesystem (a folder on
 * a USB disk, or a test's plain folder: no round trips to overlap), the threadpool otherwise. One statfs,
 * itself through the pool, so that a hung mount does not stall the process.
 */
export async function remoteScanReader(root: string): Promise<FsReader> {
  try {
    return LOCAL_DISK_FS.has((await fsp.statfs(root)).type) ? blockingReader : pooledReader;
  } catch {
    return pooledReader; // the scan itself reports why the root cannot be read
  }
}

/** The reader for a side: blocking calls on the local disk, the threadpool on the (network) remote. */
export function readerFor(side: Side): FsReader {
  return side === 'local' ? blockingReader : pooledReader;
}

/** The link writer for a side, chosen as readerFor. */
export function linkWriterFor(side: Side): LinkWriter {
  return side === 'local' ? blockingLinkWriter : pooledLinkWriter;
}

/** What one lstat (+ readlink) found at a path. */
export type Observation =
  | { found: 'absent' }
  | { found: 'special'; special: 'fifo' | 'socket' | 'device' }
  /** `entry.unreadable` is set on a symlink whose link text could not be read (`linkError`). */
  | { found: 'entry'; entry: Entry; linkError?: unknown };

/**
 * Look at `root/rel` without following it: lstat, and readlink for a symlink. ENOENT/ENOTDIR are 'absent'.
 * A symlink whose text cannot be read (sshfs's contain_symlinks answers EPERM for absolute or `..` links)
 * is an entry with `unreadable: true` and no target: it exists, so it must not look deleted, and the
 * planner leaves an unreadable path alone. Throws the raw error of a failed lstat, of a readlink that
 * failed because the mount is gone, and LazysyncError('changed') if the path keeps changing type.
 * The scanner and lstatEntry both use this, so they always agree.
 */
export async function observe(
  root: string,
  rel: RelPath,
  side: Side,
  placeholderRoot?: string,
  io: FsReader = pooledReader,
): Promise<Observation> {
  const abs = absOf(root, rel);
  for (let attempt = 0; attempt < 3; attempt++) {
    let st: Stats;
    try {
      st = await io.lstat(abs);
    } catch (e) {
      if (isAbsent(e)) return { found: 'absent' };
      throw e;
    }
    if (!st.isSymbolicLink()) {
      const entry =
        side === 'local' ? localFileEntry(abs, st, rel, placeholderRoot) : entryFromStats(st, side);
      if (entry !== undefined) return { found: 'entry', entry };
      return { found: 'special', special: specialKind(st) ?? 'device' };
    }
    let link: Buffer;
    try {
      link = await io.readlink(abs);
    } catch (e) {
      if (isAbsent(e)) return { found: 'absent' };
      if (hasCode(e, 'EINVAL')) continue; // no longer a symlink: look again
      if (isMountGone(e)) throw e;
      return {
        found: 'entry',
        entry: { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0, unreadable: true },
        linkError: e,
      };
    }
    const target = link.toString('latin1');
    return { found: 'entry', entry: symlinkEntry(target, rel, side, placeholderRoot) };
  }
  throw new LazysyncError('changed', `${display(rel)}: keeps changing type while it is examined; will retry`);
}

/**
 * The current state of `root/rel`, never following a symlink, as the scanner would report it (see
 * observe); on the local side with blocking calls (see blockingReader). Undefined when absent. Throws LazysyncError('io') for a special file (neither absent nor
 * syncable), and the raw fs error for anything else (mount gone included).
 */
export async function lstatEntry(
  root: string,
  rel: RelPath,
  side: Side,
  placeholderRoot?: string,
): Promise<Entry | undefined> {
  const o = await observe(root, rel, side, placeholderRoot, readerFor(side));
  if (o.found === 'absent') return undefined;
  if (o.found === 'special') throw new LazysyncError('io', `${display(rel)}: special file (${o.special})`);
  return o.entry;
}

/**
 * True if `now` is still what was observed before (`then`) on `side`: core's isUnchanged (files by size,
 * mtime, mode and, locally, inode; links by link text; dirs by kind), with both absent counting as the same.
 */
export function sameEntry(now: Entry | undefined, then: Entry | undefined, side: Side): boolean {
  if (now === undefined || then === undefined) return now === then;
  return isUnchanged(now, then, side);
}

/**
 * lstatEntry for the local disk when an answer is needed synchronously (kernel event handlers). Never use it
 * on the remote: a blocking call on a network mount stalls the whole process for a round trip.
 * Undefined when absent or unreadable.
 */
export function lstatEntrySync(root: string, rel: RelPath, placeholderRoot?: string): Entry | undefined {
  const abs = absOf(root, rel);
  try {
    const st = fs.lstatSync(abs);
    if (!st.isSymbolicLink()) return localFileEntry(abs, st, rel, placeholderRoot);
    const target = fs.readlinkSync(abs, { encoding: 'buffer' }).toString('latin1');
    return symlinkEntry(target, rel, 'local', placeholderRoot);
  } catch {
    return undefined;
  }
}
