// Removing the versions a prune chose, one side's root at a time, many in flight: each only if it is still
// what was kept, never through a folder swapped for a symlink; the folders they leave empty go at the end.
// On sshfs the names of one folder are looked up one after the other, a round trip each (20 lstats at once:
// 20 round trips in one folder, 2 in 20 folders), while a listing brings every entry's attributes in a few
// (10,000 entries: about 9) and the lstats after it are answered from the mount's cache: a folder that many
// versions leave is listed first.
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

/** A folder one batch removes at least this many versions from is listed first (with `listFolders`). */
const LIST_AT = 8;

export class VersionRemover {
  /** Per folder of the versions tree, whether every folder on the way to it is a real folder. */
  private readonly safe = new Map<RelPath, Promise<boolean>>();
  /** Folders a version was removed from: removed at the end if that left them empty. */
  private readonly emptied = new Set<RelPath>();
  /** Folders to list before their first removal (undefined), or their listing (once per prune). */
  private readonly listings = new Map<RelPath, Promise<void> | undefined>();

  /** `listFolders`: list the folders a batch removes many versions from first (for a mount). */
  constructor(
    private readonly root: string,
    private readonly opts: { listFolders?: boolean } = {},
  ) {}

  /**
   * Called before each batch with the rows it removes on this root: a folder it removes many of them from is
   * listed by the first removal there, once per prune (the mount's cache then answers for a while: sshfs
   * keeps attributes 20 s by default; after that the lstats ask the server again).
   */
  willRemove(rows: readonly LedgerRow[]): void {
    for (const dir of this.manyIn(rows.map((r) => r.file)))
      if (!this.listings.has(dir)) this.listings.set(dir, undefined);
  }

  /** The folders holding at least LIST_AT of `paths` (none without `listFolders`). */
  private manyIn(paths: readonly RelPath[]): RelPath[] {
    if (this.opts.listFolders !== true) return [];
    const counts = new Map<RelPath, number>();
    for (const p of paths) counts.set(parentOf(p), (counts.get(parentOf(p)) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= LIST_AT).map(([dir]) => dir);
  }

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
    await this.listed(parentOf(row.file));
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
    // Many folders in one parent: their lookups are answered from its listing too.
    const parents = this.manyIn([...this.emptied]);
    for (const parent of parents) this.listings.set(parent, undefined);
    await Promise.all(parents.map((parent) => this.listed(parent)));
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

  /** Lists `dir` if a batch asked for it, once; a failure is left to the lstat that follows. */
  private listed(dir: RelPath): Promise<void> {
    if (!this.listings.has(dir)) return Promise.resolve();
    let p = this.listings.get(dir);
    if (p === undefined) {
      p = fsp.readdir(absOf(this.root, dir)).then(
        () => undefined,
        () => undefined,
      );
      this.listings.set(dir, p);
    }
    return p;
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
