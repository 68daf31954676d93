// Old content kept by a same-filesystem rename into ROOT/.lazysync/versions/DIR/NAME~STAMP.EXT; listing it.
import type { Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import { parseVersionName, versionName } from '../core/names.js';
import { baseName, display, isWithin, joinPath, parentOf, STATE_DIR } from '../core/paths.js';
import type { RelPath, VersionKind } from '../core/types.js';
import { hasCode, LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { ensureParents } from '../fsops/dirs.js';
import { absOf } from '../fsops/entry.js';
import { isAbsent } from '../fsops/fserr.js';
import { stampOf } from './stamp.js';

export const VERSIONS_DIR = `${STATE_DIR}/versions`;

/** Version paths a keepVersion of this process has chosen and not yet renamed to. */
const reserved = new Set<string>();

const MAX_TRIES = 10000;

/**
 * Move `root/rel` (file, symlink or directory) to `root/.lazysync/versions/DIR/NAME~STAMP[-n].EXT`, creating
 * the directories, with the first free `n`; returns the version's path relative to root.
 * Postcondition: after it returns, `root/rel` does not exist (unless `leaveInPlace` made a hard link: then it
 * still holds the same content, for the caller to rename over). It never copies: a version on another
 * filesystem than `root/rel` is an 'io' error. If `root/rel` is already gone it throws 'changed'.
 * A race it cannot close: another program creating the chosen version name between the check and the
 * rename (rename(2) would replace it; Node has no RENAME_NOREPLACE). This process never picks one name twice.
 */
export interface KeepOptions {
  /**
   * The caller is about to rename new content over `rel`: keep the version as a hard link and leave `rel`
   * in place, so the path never goes missing in between (readers see the old or the new content). Falls
   * back to a rename when the link fails, whatever the errno (then `rel` is gone on return, as usual).
   * Leave it unset where the mount is known to have no hard links: a failing link is a wasted round trip.
   */
  leaveInPlace?: boolean;
}

/** A version just made: where it is, and what it held when it was kept. */
export interface Kept {
  /** The version's path relative to the root. */
  path: RelPath;
  kind: VersionKind;
  /** Bytes for a file, 0 otherwise. */
  size: number;
  mtime: number;
}

export async function keepVersion(
  root: string,
  rel: RelPath,
  nowMs: number,
  opts: KeepOptions = {},
): Promise<Kept> {
  if (rel === '' || isWithin(rel, STATE_DIR)) {
    throw new LazysyncError('io', `${display(rel)}: not something that can be kept as a version`);
  }
  const src = absOf(root, rel);
  const st = await lstatOrUndefined(src);
  if (st === undefined) throw vanished(rel);
  const kept = (path: RelPath): Kept => ({
    path,
    kind: kindOf(st),
    size: st.isFile() ? st.size : 0,
    mtime: st.mtimeMs,
  });
  const dir = versionsDirOf(rel);
  const stamp = stampOf(nowMs);
  const makeDir = (): Promise<void> => ensureParents(root, joinPath(dir, versionName(baseName(rel), stamp)));
  await makeDir();
  let remade = false;
  for (let n = 0; n < MAX_TRIES; n++) {
    const vrel = joinPath(dir, versionName(baseName(rel), stamp, n));
    const key = `${root}\0${vrel}`;
    if (reserved.has(key)) continue;
    reserved.add(key);
    try {
      const dst = absOf(root, vrel);
      if ((await lstatOrUndefined(dst)) !== undefined) continue;
      if (opts.leaveInPlace === true) {
        faultPoint('version: hard link', dst);
        try {
          await fsp.link(src, dst);
          return kept(vrel);
        } catch (e) {
          if (hasCode(e, 'EEXIST')) continue;
          // Remotes without hard links answer with any errno (rclone EIO, davfs2 EPERM, others ENOSYS):
          // whatever it was, the rename below works where moving works, and fails as it should where the
          // mount itself is gone.
        }
      }
      faultPoint('version: rename into versions', dst);
      try {
        await fsp.rename(src, dst);
        return kept(vrel);
      } catch (e) {
        if (hasCode(e, 'EEXIST', 'ENOTEMPTY')) continue; // a directory got there first: next name
        if (hasCode(e, 'EXDEV')) {
          const why = `${display(rel)}: on another filesystem than ${VERSIONS_DIR}; not copied`;
          throw new LazysyncError('io', why, { cause: e });
        }
        if (isAbsent(e) && (await lstatOrUndefined(src)) === undefined) throw vanished(rel);
        // A prune removed the emptied versions folder in between: make it again, once.
        if (isAbsent(e) && !remade) {
          remade = true;
          await makeDir();
          n--;
          continue;
        }
        throw e;
      }
    } finally {
      reserved.delete(key);
    }
  }
  throw new LazysyncError('io', `${display(rel)}: no free version name for ${stamp}`);
}

export interface VersionInfo {
  /** The version's path relative to root. */
  path: RelPath;
  stamp: string;
  /** The counter of a same-second collision (0 for none). */
  n: number;
  kind: VersionKind;
  /** Bytes for a file, 0 otherwise. */
  size: number;
  /** When its content was written (lstat mtimeMs): kept as it was when the version was made. */
  mtime: number;
  /** Permission bits. */
  mode: number;
}

/** All versions of the one path `rel` under `root`, newest first. None (or no versions folder) is []. */
export async function listVersions(root: string, rel: RelPath): Promise<VersionInfo[]> {
  const dir = versionsDirOf(rel);
  const name = baseName(rel);
  let names: Buffer[];
  try {
    names = await fsp.readdir(absOf(root, dir), { encoding: 'buffer' });
  } catch (e) {
    if (isAbsent(e)) return [];
    throw e;
  }
  const out: VersionInfo[] = [];
  for (const b of names) {
    const candidate = b.toString('latin1');
    const parsed = parseVersionName(candidate);
    // Exactly the name keepVersion would give `name` at that stamp and counter (truncation included).
    if (parsed === undefined || versionName(name, parsed.stamp, parsed.n) !== candidate) continue;
    const path = joinPath(dir, candidate);
    const st = await lstatOrUndefined(absOf(root, path));
    if (st === undefined) continue;
    out.push(versionInfo(path, parsed, st));
  }
  return out.sort((a, b) => (a.stamp === b.stamp ? b.n - a.n : a.stamp < b.stamp ? 1 : -1));
}

/** How a version is named to the user: its stamp, and `-N` for the N-th of the same second. */
export function versionId(v: { stamp: string; n: number }): string {
  return v.n > 0 ? `${v.stamp}-${v.n}` : v.stamp;
}

/** The key that orders versions by when they were made: their stamp, then their same-second counter. */
export function versionKey(v: { stamp: string; n: number }): string {
  return `${v.stamp}-${String(v.n).padStart(6, '0')}`;
}

/**
 * Newest first: by stamp and counter, a local version before a remote one of the same key. For lists of
 * versions of both sides.
 */
export function newerFirst(a: { side: string; v: VersionInfo }, b: { side: string; v: VersionInfo }): number {
  const ka = `${versionKey(a.v)}-${a.side === 'local' ? 1 : 0}`;
  const kb = `${versionKey(b.v)}-${b.side === 'local' ? 1 : 0}`;
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

/** Where the versions of `rel` go: the versions folder of its parent. */
export function versionsDirOf(rel: RelPath): RelPath {
  return versionsFolderOf(parentOf(rel));
}

/** Where the versions of the paths in folder `dir` are: VERSIONS_DIR/dir. */
export function versionsFolderOf(dir: RelPath): RelPath {
  return dir === '' ? VERSIONS_DIR : `${VERSIONS_DIR}/${dir}`;
}

/** The bytes of every file in the folder `abs` and below (a folder kept whole as a version). */
export async function treeBytes(abs: Buffer): Promise<number> {
  let total = 0;
  for (const d of await fsp.readdir(abs, { withFileTypes: true, encoding: 'buffer' })) {
    const child = Buffer.concat([abs, Buffer.from('/'), d.name]);
    if (d.isDirectory()) total += await treeBytes(child);
    else if (d.isFile()) total += (await fsp.lstat(child)).size;
  }
  return total;
}

/** A version's facts from its parsed name and its lstat. */
export function versionInfo(path: RelPath, parsed: { stamp: string; n: number }, st: Stats): VersionInfo {
  const size = st.isFile() ? st.size : 0;
  const { mtimeMs: mtime, mode } = st;
  return { path, stamp: parsed.stamp, n: parsed.n, kind: kindOf(st), size, mtime, mode: mode & 0o7777 };
}

export function kindOf(st: Stats): VersionKind {
  return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
}

async function lstatOrUndefined(abs: Buffer): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(abs);
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
}

function vanished(rel: RelPath): LazysyncError {
  return new LazysyncError(
    'changed',
    `${display(rel)}: vanished before it could be kept as a version; will retry`,
  );
}
