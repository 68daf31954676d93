// What a user's programs do to one root between passes, as real filesystem calls. Synchronous: the roots are
// on a local disk and nothing else runs during a user's turn. Nothing here follows a symlink: a user
// symlink's text (`/abs/t`, `../t`) and a placeholder's point outside the root.
import fs from 'node:fs';
import { parentOf } from '../../src/core/paths.js';
import type { RelPath } from '../../src/core/types.js';

export const absPath = (root: string, rel: RelPath): string => (rel === '' ? root : `${root}/${rel}`);

function lstatOf(abs: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined;
    }
    throw e;
  }
}

/** Every proper ancestor of `rel`, outermost first. */
function ancestors(rel: RelPath): RelPath[] {
  const out: RelPath[] = [];
  for (let p = parentOf(rel); p !== ''; p = parentOf(p)) out.unshift(p);
  return out;
}

/** rm -r of whatever is at `abs` (a symlink itself, never what it points to). */
function removeAll(abs: string): void {
  fs.rmSync(abs, { recursive: true, force: true });
}

/** The lstat of `rel` if every ancestor is a real folder, else undefined (the path is not reachable). */
export function statIfReachable(root: string, rel: RelPath): fs.Stats | undefined {
  for (const a of ancestors(rel)) if (lstatOf(absPath(root, a))?.isDirectory() !== true) return undefined;
  return lstatOf(absPath(root, rel));
}

/** mkdir -p of `rel`'s parent, replacing non-folders on the way when `force`; false when one is in the way. */
function makeParents(root: string, rel: RelPath, force: boolean): boolean {
  for (const a of ancestors(rel)) {
    const abs = absPath(root, a);
    const st = lstatOf(abs);
    if (st?.isDirectory() === true) continue;
    if (st !== undefined) {
      if (!force) return false;
      removeAll(abs);
    }
    fs.mkdirSync(abs);
  }
  return true;
}

/**
 * Makes way for a new non-folder at `rel`: parents made, a folder there removed when `force`. False when
 * something is in the way and `force` is not set.
 */
function makeWayForNonFolder(root: string, rel: RelPath, force: boolean): boolean {
  if (!makeParents(root, rel, force)) return false;
  const abs = absPath(root, rel);
  if (lstatOf(abs)?.isDirectory() === true) {
    if (!force) return false;
    removeAll(abs);
  }
  return true;
}

let saves = 0;

const folderOf = (abs: string): string => abs.slice(0, abs.lastIndexOf('/'));

/** A new file written next to `abs` and renamed over it, as an editor saves: a new inode. */
function saveAtomically(abs: string, content: string, mode: number): void {
  const tmp = `${folderOf(abs)}/.user-save-${saves++}`;
  fs.writeFileSync(tmp, content, 'latin1');
  fs.chmodSync(tmp, mode); // the umask leaves other bits
  fs.renameSync(tmp, abs);
}

/**
 * Writes `content` to the file `rel` with the modification time `mtimeMs`: in place (same inode) when
 * `atomic` is false and a file is there, else as an editor's save. A symlink there is replaced.
 */
export function writeFile(
  root: string,
  rel: RelPath,
  content: string,
  mtimeMs: number,
  atomic: boolean,
  force: boolean,
): void {
  if (!makeWayForNonFolder(root, rel, force)) return;
  const abs = absPath(root, rel);
  if (!atomic && lstatOf(abs)?.isFile() === true) {
    const fd = fs.openSync(abs, 'r+');
    try {
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, content, 0, 'latin1');
    } finally {
      fs.closeSync(fd);
    }
  } else saveAtomically(abs, content, 0o644);
  fs.utimesSync(abs, mtimeMs / 1000, mtimeMs / 1000);
}

export function makeFolder(root: string, rel: RelPath, force: boolean): void {
  if (!makeParents(root, rel, force)) return;
  const abs = absPath(root, rel);
  const st = lstatOf(abs);
  if (st?.isDirectory() === true) return;
  if (st !== undefined) {
    if (!force) return;
    removeAll(abs);
  }
  fs.mkdirSync(abs);
}

/** Makes `rel` a symlink with link text `target`, over a file or symlink there. */
export function makeSymlink(root: string, rel: RelPath, target: string, force: boolean): void {
  if (!makeWayForNonFolder(root, rel, force)) return;
  const abs = absPath(root, rel);
  const tmp = `${folderOf(abs)}/.user-link-${saves++}`;
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, abs);
}

/** rm -r of `rel`, if it is reachable through real folders. */
export function remove(root: string, rel: RelPath): void {
  if (statIfReachable(root, rel) !== undefined) removeAll(absPath(root, rel));
}

/** Toggles a file's permissions between 0644 and 0600 (its mtime stays). */
export function toggleMode(root: string, rel: RelPath): void {
  const st = statIfReachable(root, rel);
  if (st?.isFile() !== true) return;
  fs.chmodSync(absPath(root, rel), (st.mode & 0o777) === 0o644 ? 0o600 : 0o644);
}

/** The content of the file at `rel`, or undefined if no file is there. */
export function readFileIfAny(root: string, rel: RelPath): string | undefined {
  return statIfReachable(root, rel)?.isFile() === true
    ? fs.readFileSync(absPath(root, rel), 'latin1')
    : undefined;
}

/**
 * `cp -p` of a file with `content` over the file `rel`: a new inode with the old size, mode and mtime (to
 * the nanosecond), so that only the inode tells the change.
 */
export function replaceKeepingMtime(root: string, rel: RelPath, content: string): void {
  const abs = absPath(root, rel);
  const old = fs.lstatSync(abs);
  const oldNs = fs.lstatSync(abs, { bigint: true }).mtimeNs;
  if (content.length !== old.size) throw new Error(`cp -p ${rel}: not the same size`);
  saveAtomically(abs, content, old.mode & 0o7777);
  // How the executor sets a copy's mtime too; exact for the sub-second parts the scenarios use.
  fs.utimesSync(abs, old.mtimeMs / 1000, old.mtimeMs / 1000);
  if (fs.lstatSync(abs, { bigint: true }).mtimeNs !== oldNs) {
    throw new Error(`cp -p ${rel}: the mtime could not be kept exactly`);
  }
}

/** Every path below `root` (not its state folder), in sorted order: what a user could pick from. */
export function listPaths(root: string, skip: string): RelPath[] {
  const out: RelPath[] = [];
  const walk = (rel: RelPath): void => {
    for (const d of fs.readdirSync(absPath(root, rel), { withFileTypes: true })) {
      const p = rel === '' ? d.name : `${rel}/${d.name}`;
      if (p === skip) continue;
      out.push(p);
      if (d.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}

/**
 * `mv -T from to` after `mkdir -p` of `to`'s parent: one rename(2), so the inode and mtime stay. Over a
 * non-folder at `to` only from a non-folder, over a folder only an empty one from a folder; a move into
 * itself, or with something in the way of `to`'s parent, does nothing. True if it moved.
 */
export function move(root: string, from: RelPath, to: RelPath): boolean {
  if (from === to || to.startsWith(`${from}/`)) return false;
  const src = statIfReachable(root, from);
  if (src === undefined || !makeParents(root, to, false)) return false;
  const dst = lstatOf(absPath(root, to));
  if (dst !== undefined) {
    if (dst.isDirectory() !== src.isDirectory()) return false;
    if (dst.isDirectory() && fs.readdirSync(absPath(root, to)).length > 0) return false;
  }
  fs.renameSync(absPath(root, from), absPath(root, to));
  return true;
}

/** Whether `rel` is reachable and free: nothing there, every folder on its way a folder or absent. */
export function isFree(root: string, rel: RelPath): boolean {
  for (const a of ancestors(rel)) {
    const st = lstatOf(absPath(root, a));
    if (st === undefined) return true;
    if (!st.isDirectory()) return false;
  }
  return lstatOf(absPath(root, rel)) === undefined;
}

/** `cp -P from to`: a new symlink at `to` with `from`'s link text, where nothing is. True if copied. */
export function copyLink(root: string, from: RelPath, to: RelPath): boolean {
  if (statIfReachable(root, from)?.isSymbolicLink() !== true || !isFree(root, to)) return false;
  if (!makeParents(root, to, false)) return false;
  fs.symlinkSync(fs.readlinkSync(absPath(root, from), 'latin1'), absPath(root, to));
  return true;
}

/** The inode number of each file's content below `root` (not its state folder): a file moved keeps it. */
export function fileInodes(root: string, skip = '.lazysync'): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of listPaths(root, skip)) {
    const st = fs.lstatSync(absPath(root, p));
    if (st.isFile()) out.set(fs.readFileSync(absPath(root, p), 'latin1'), st.ino);
  }
  return out;
}
