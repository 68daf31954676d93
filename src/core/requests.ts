// Requests for one file's local state outside a pass (a program's open, `pin`, `free`, the --cache-max
// limit): what each asks the executor to do, decided from the archive's record of the path and, for a
// hydration, the remote file as it is now. docs/design.md, "The life of a local file in lazy mode".
import { hydratesOnOpen } from './decide.js';
import type { Action, ArchiveRecord, Entry, Policy } from './types.js';

export type Hydration =
  | { step: Extract<Action, { op: 'download' }> }
  /** Nothing to do, and why (for the debug log). */
  | { skip: string };

/**
 * Hydrating a placeholder: a download of the remote file as it is now, which may be newer than the archive
 * (a placeholder has no content of its own to conflict with). Not for a path that is no longer a
 * placeholder, a remote that is not a file, or a file over --max-size that is not pinned, unless a
 * program is waiting on a file placeholder (`inPlace`): a file placeholder cannot be read through, so
 * the program's access fetches it whatever its size.
 */
export function hydration(
  policy: Policy,
  rec: ArchiveRecord | undefined,
  remote: Entry | undefined,
  inPlace = false,
): Hydration {
  if (rec?.local.kind !== 'placeholder') return { skip: 'not a placeholder' };
  if (remote?.kind !== 'file') return { skip: 'not a file on the remote' };
  if (!inPlace && !hydratesOnOpen(policy, rec.path, remote)) return { skip: 'larger than --max-size' };
  return { step: { op: 'download', path: rec.path, local: rec.local, remote } };
}

export type Freeing =
  | { free: ArchiveRecord }
  | { refuse: string }
  /** Not a local copy of a remote file: there is nothing to free. */
  | undefined;

/**
 * Freeing a local copy: turning it back into a placeholder without keeping a version, which is safe only
 * while both sides are as the archive recorded them (the executor checks that). Pinned paths are refused.
 */
export function freeing(policy: Policy, rec: ArchiveRecord | undefined): Freeing {
  if (rec?.local.kind !== 'file' || rec.remote.kind !== 'file') return undefined;
  if (policy.isPinned?.(rec.path) === true) return { refuse: 'pinned: unpin it first' };
  return { free: rec };
}

/** Whether local copies adding up to `bytes` are over --cache-max (never, without a limit). */
export function overCacheMax(policy: Policy, bytes: number): boolean {
  return policy.cacheMax !== undefined && bytes > policy.cacheMax;
}

/**
 * What the --cache-max limit does with one local copy, taken least recently opened first: free it, keep
 * it for later but count it (open right now), or keep it without counting it (pinned: always local).
 */
export function eviction(
  policy: Policy,
  rec: ArchiveRecord,
  openNow: boolean,
): 'free' | 'keep' | 'uncounted' {
  const f = freeing(policy, rec);
  if (f !== undefined && 'refuse' in f) return 'uncounted';
  return openNow ? 'keep' : 'free';
}
