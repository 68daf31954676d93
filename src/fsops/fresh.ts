// A remote path's attributes as the server has them now, not as the mount's caches remember them.
import { constants } from 'node:fs';
import fsp from 'node:fs/promises';
import type { Entry, RelPath } from '../core/types.js';
import { hasCode } from '../errors.js';
import { nativeAddon, type FreshStats } from '../native-addon.js';
import { absOf, lstatEntry } from './entry.js';
import { isAbsent, isMountGone } from './fserr.js';
import { quietCheck } from './quiet.js';

/**
 * The entry at `root/rel` on the remote, read past the mount's caches (see native/fresh_stat.c: the open
 * makes sshfs and NFS ask the server, statx's FORCE_SYNC makes the kernel ask the mount; quiet.ts says
 * why this process's own writes to the remote pause meanwhile). Undefined when
 * the server has nothing there. A symlink cannot be opened without following it: its link text is read as
 * usual. Where the path cannot be opened (no read permission, a special file), the ordinary lstat is the
 * best that can be had. The open is an access of R/rel: callers that watch opens on R must know it is theirs.
 */
export async function freshRemoteEntry(root: string, rel: RelPath): Promise<Entry | undefined> {
  const abs = absOf(root, rel);
  let st: FreshStats;
  try {
    st = await freshStats(abs).catch((e: unknown) => {
      // FUSE answers EIO when the server's answer changes the kind of a known inode (a file that is a folder
      // now) and forgets that inode: asking again looks the path up anew.
      if (hasCode(e, 'EIO') && (e as { syscall?: string }).syscall === 'statx') return freshStats(abs);
      throw e;
    });
  } catch (e) {
    if (isAbsent(e)) return undefined;
    if (isMountGone(e)) throw e;
    return lstatEntry(root, rel, 'remote');
  }
  const type = st.mode & constants.S_IFMT;
  const mode = st.mode & 0o7777;
  if (type === constants.S_IFREG) {
    return { kind: 'file', size: st.size, mtime: st.mtimeSec * 1000 + st.mtimeNsec / 1e6, mode, ino: 0 };
  }
  if (type === constants.S_IFDIR) return { kind: 'dir', size: 0, mtime: 0, mode, ino: 0 };
  return lstatEntry(root, rel, 'remote'); // a special file: lstatEntry says which
}

/**
 * The size and mtime (ms) of the file at `abs` on the remote as the server has them now, or undefined if
 * nothing or something else than a file is there. For checking a copy's remote source after the copy: the
 * mount's cached attributes would not show a rewrite made during it.
 */
export async function freshFileStats(abs: Buffer): Promise<{ size: number; mtimeMs: number } | undefined> {
  let st: FreshStats;
  try {
    st = await freshStats(abs);
  } catch (e) {
    if (isAbsent(e) || hasCode(e, 'ELOOP')) return undefined;
    throw e;
  }
  if ((st.mode & constants.S_IFMT) !== constants.S_IFREG) return undefined;
  return { size: st.size, mtimeMs: st.mtimeSec * 1000 + st.mtimeNsec / 1e6 };
}

/** The open and stat, while none of this process's writes to a remote is on the wire (see quiet.ts). */
function freshStats(abs: Buffer): Promise<FreshStats> {
  return quietCheck(() => openAndStat(abs));
}

async function openAndStat(abs: Buffer): Promise<FreshStats> {
  const addon = nativeAddon();
  if (addon !== undefined) {
    try {
      return await addon.freshStat(abs);
    } catch (e) {
      if (!hasCode(e, 'ENOSYS')) throw e; // a kernel without statx: the portable way below
    }
  }
  // Without the addon: the open still refreshes the mount's own cache; the kernel's (about a second) stays.
  const fh = await fsp.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const s = await fh.stat({ bigint: true });
    return {
      mode: Number(s.mode),
      size: Number(s.size),
      mtimeSec: Number(s.mtimeNs / 1_000_000_000n),
      mtimeNsec: Number(s.mtimeNs % 1_000_000_000n),
    };
  } finally {
    await fh.close();
  }
}
