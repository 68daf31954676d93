// Removing the versions a prune chose, one side's root at a time, many in flight: each only if it is still
// what was kept, never through a folder swapped for a symlink; the folders they leave empty go at the end.
import fsp from 'node:fs/promises';
import { parseVersionName, versionName } from '../core/names.js';
import { baseName, isWithin, parentOf } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { LazysyncError, hasCode } from '../errors.js';
import { absOf } from '../fsops/entry.js';
import { isAbsent } from '../fsops/fserr.js';
import { expectParents } from '../fsops/parents.js';
import type { LedgerRow } from '../store/archive-versions.js';
import { VERSIONS_DIR } from '../versions/versions.js';

/**
 * What became of one version: 'removed'; 'gone' if nothing was there; 'changed' if something else is (or
 * the record does not name a version); 'unsafe' if a folder on the way is not a real folder now (tried
 * again at the next prune).
 */
export type Removal = 'removed' | 'gone' | 'changed' | 'unsafe';

export class VersionRemover {
  /** Per folder of the versions tree, whether every folder on the way to it is a real folder. */
  private readonly safe = new Map<RelPath, Promise<boolean>>();
  /** Folders a version was removed from: removed at the end if that left them empty. */
  private readonly emptied = new Set<RelPath>();

  constructor(private readonly root: string) {}

  async remove(row: LedgerRow): Promise<Removal> {
    const name = baseName(row.file);
    const parsed = parseVersionName(name);
    const recognised =
      isWithin(row.file, VERSIONS_DIR) &&
      row.file !== VERSIONS_DIR &&
      parsed !== undefined &&
      versionName(baseName(row.path), parsed.stamp, parsed.n) === name;
    if (!recognised) return 'changed';
    if (!(await this.safeFolder(parentOf(row.file)))) return 'unsafe';
    const abs = absOf(this.root, row.file);
    let st;
    try {
      st = await fsp.lstat(abs);
    } catch (e) {
      if (isAbsent(e)) return 'gone';
      throw e;
    }
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
    // mtimes to the second: some mounts keep no more.
    const sameFile =
      row.kind !== 'file' ||
      (st.size === row.size && Math.floor(st.mtimeMs / 1000) === Math.floor(row.mtime / 1000));
    if (kind !== row.kind || !sameFile) return 'changed';
    if (kind === 'dir') await fsp.rm(abs, { recursive: true });
    else await fsp.unlink(abs);
    this.emptied.add(parentOf(row.file));
    return 'removed';
  }

  /** Removes the folders the removals left empty, deepest first, up to (not including) the versions folder. */
  async removeEmptiedFolders(): Promise<void> {
    const tried = new Set<RelPath>();
    const deepestFirst = [...this.emptied].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const start of deepestFirst) {
      for (let dir = start; dir !== VERSIONS_DIR && isWithin(dir, VERSIONS_DIR); dir = parentOf(dir)) {
        if (tried.has(dir)) break;
        tried.add(dir);
        try {
          await fsp.rmdir(absOf(this.root, dir));
        } catch (e) {
          if (hasCode(e, 'ENOTEMPTY', 'EEXIST') || isAbsent(e)) break;
          throw e;
        }
      }
    }
  }

  /** Looked at once per folder and prune: the folders on the way are real folders, not symlinks. */
  private safeFolder(dir: RelPath): Promise<boolean> {
    let p = this.safe.get(dir);
    if (p === undefined) {
      p = expectParents(this.root, `${dir}/x`).then(
        () => true,
        (e: unknown) => {
          if (e instanceof LazysyncError && e.code === 'changed') return false;
          throw e;
        },
      );
      this.safe.set(dir, p);
    }
    return p;
  }
}
