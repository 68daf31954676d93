// What the control API lists about a pair's history: versions on both sides, and conflict copies.
import { parseConflictName } from '../core/names.js';
import { baseName, display, joinPath, parentOf } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { absOf, lstatEntry } from '../fsops/entry.js';
import type { Archive } from '../store/archive.js';
import { listVersions, type VersionInfo } from '../versions/versions.js';
import type { ConflictListing, VersionListing } from './runner-api.js';

export interface FoundVersion {
  side: Side;
  root: string;
  rel: RelPath;
  v: VersionInfo;
}

/** Versions of `path` on both sides, newest first (local before remote at the same second). */
export async function versionsOnBothSides(
  roots: { localRoot: string; remoteRoot: string },
  path: RelPath,
): Promise<FoundVersion[]> {
  const out: FoundVersion[] = [];
  for (const [side, root] of [
    ['local', roots.localRoot],
    ['remote', roots.remoteRoot],
  ] as const) {
    for (const v of await listVersions(root, path)) out.push({ side, root, rel: v.path, v });
  }
  const key = (x: FoundVersion): string =>
    `${x.v.stamp}-${String(x.v.n).padStart(6, '0')}-${x.side === 'local' ? 1 : 0}`;
  return out.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

/** The version of `path` to restore: the newest, or the one made at `at`; throws if there is none. */
export async function versionToRestore(
  roots: { localRoot: string; remoteRoot: string },
  path: RelPath,
  at: string | undefined,
): Promise<FoundVersion & { entry: Entry }> {
  const all = await versionsOnBothSides(roots, path);
  const chosen = at === undefined ? all[0] : all.find((x) => x.v.stamp === at);
  if (chosen === undefined) {
    throw new LazysyncError(
      'usage',
      at === undefined ? `${display(path)} has no versions` : `${display(path)} has no version at ${at}`,
    );
  }
  const entry = await lstatEntry(chosen.root, chosen.rel, chosen.side);
  if (entry?.kind !== 'file') {
    throw new LazysyncError('io', `${display(chosen.rel)}: only file versions can be restored`);
  }
  return { ...chosen, entry };
}

export function versionListing(found: FoundVersion[]): VersionListing[] {
  return found.map(({ side, root, rel, v }) => ({
    side,
    stamp: v.stamp,
    size: v.size,
    kind: v.kind,
    file: display(absOf(root, rel).toString('latin1')),
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
