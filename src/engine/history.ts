// What the control API lists about a pair's history: versions on both sides, and conflict copies.
import { parseConflictName } from '../core/names.js';
import { baseName, display, joinPath, parentOf } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { absOf } from '../fsops/entry.js';
import type { Archive } from '../store/archive.js';
import type { FoundVersion } from '../versions/folder.js';
import { listVersions, newerFirst, versionId, versionKey, type VersionInfo } from '../versions/versions.js';
import { stampTime } from '../versions/stamp.js';
import type { ConflictListing, VersionListing } from './runner-api.js';

/** Versions of `path` on both sides, newest first (local before remote of the same stamp and counter). */
export async function versionsOnBothSides(
  roots: Record<Side, string>,
  path: RelPath,
): Promise<FoundVersion[]> {
  const out: FoundVersion[] = [];
  for (const side of ['local', 'remote'] as const) {
    const root = roots[side];
    for (const v of await listVersions(root, path)) out.push({ side, root, original: path, v });
  }
  return out.sort(newerFirst);
}

/** A version to restore, with its entry as it is now. */
export type ChosenVersion = FoundVersion & { entry: Entry };

/**
 * The version of `path` to restore: the newest, or the first made at or after `at` (a version key,
 * `YYYYMMDD-HHMMSS[-N]`: what the path held at that time); throws if there is none.
 */
export async function versionToRestore(
  roots: Record<Side, string>,
  path: RelPath,
  at: string | undefined,
): Promise<ChosenVersion> {
  const all = await versionsOnBothSides(roots, path);
  const chosen = at === undefined ? all[0] : versionAt(all, at);
  if (chosen === undefined) {
    throw new LazysyncError(
      'usage',
      at === undefined
        ? `${display(path)} has no versions`
        : `${display(path)} has no version of what it held at ${at}: it has not changed since, or that content was never kept`,
    );
  }
  const entry = fileEntryOf(chosen.v);
  if (entry === undefined) {
    throw new LazysyncError('io', `${display(chosen.v.path)}: only file versions can be restored`);
  }
  return { ...chosen, entry };
}

/**
 * A file version's entry as its listing saw it, to restore it from (the copy checks the file again, so a
 * version removed or changed since is refused there); undefined for a folder or a symlink.
 */
export function fileEntryOf(v: VersionInfo): Entry | undefined {
  return v.kind === 'file' ? { kind: 'file', size: v.size, mtime: v.mtime, mode: v.mode, ino: 0 } : undefined;
}

/**
 * Of versions newest first, what the path held at `at` (a version key, `YYYYMMDD-HHMMSS[-N]`): the oldest
 * made at or after it, if its content was written by then (the end of that second). Undefined when no
 * version was made since (the path has not changed), or when that content was written later: then what the
 * path held at `at` was never kept, or the path did not exist.
 */
export function versionAt<T extends { v: VersionInfo }>(
  newestFirst: readonly T[],
  at: string,
): T | undefined {
  const [date = '', time = '', n = '0'] = at.split('-');
  const stamp = `${date}-${time}`;
  const key = versionKey({ stamp, n: Number(n) });
  let found: T | undefined;
  for (const x of newestFirst) {
    if (versionKey(x.v) < key) break;
    found = x;
  }
  const endOfSecond = (stampTime(stamp) ?? Number.NaN) + 1000;
  return found !== undefined && found.v.mtime < endOfSecond ? found : undefined;
}

export function versionListing(found: FoundVersion[]): VersionListing[] {
  return found.map(({ side, root, v }) => ({
    side,
    stamp: v.stamp,
    version: versionId(v),
    size: v.size,
    kind: v.kind,
    file: display(absOf(root, v.path).toString('latin1')),
  }));
}

/** The conflict copies the archive knows, each with the path it is a copy of. */
export function conflictListing(archive: Archive): ConflictListing[] {
  const iso = (ms: number | undefined): string | null => (ms ? new Date(ms).toISOString() : null);
  const out: ConflictListing[] = [];
  for (const rec of archive.conflictCopies()) {
    const parsed = parseConflictName(baseName(rec.path));
    if (parsed === undefined) continue;
    const original = joinPath(parentOf(rec.path), parsed.original);
    const orig = archive.get(original);
    out.push({
      path: display(original),
      copy: display(rec.path),
      copyMtime: iso(rec.remote.mtime || rec.local.mtime),
      originalMtime: iso(orig?.remote.mtime || orig?.local.mtime),
    });
  }
  return out;
}
