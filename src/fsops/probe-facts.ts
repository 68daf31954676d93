// What a mount probe implies for syncing (pure): the facts change detection and the executor act on, how
// long a pass waits for a mount's cache before it replaces something there, and why a symlink or a server
// edit is at risk on this mount. The probe itself, and how it is made, is probe.ts.
import type { MountProbe, RemoteKind } from './probe.js';

/**
 * The facts change detection and the executor act on. Unknown counts as "as a local disk would": the
 * executor still falls back at the first failure where that is safe (versions by rename).
 */
export interface RemoteFacts {
  /** Versions on the remote may be kept as hard links (else they are moved, before the new content lands). */
  hardLinks: boolean;
  /** A symlink with this link text can be stored on the remote. */
  canStoreSymlink: (target: string) => boolean;
  /** Modes read from the remote mean something: when false, remote mode differences are no change. */
  modesKept: boolean;
  /** Remote mtimes may move without a content change (the server stamps its own): compare bytes first. */
  mtimesRewritten: boolean;
  /** After an upload, read the final path again: the server may show other metadata than the temp file had. */
  rereadAfterUpload: boolean;
  /**
   * How long after a view of the remote was taken a check past the caches first shows the server as it
   * was then (ms): 0 where opening a file asks the server (sshfs, NFS); the listing cache where the mount's
   * program answers opens from its own cache (see settleMsOf).
   */
  settleMs: number;
}

export function factsOf(probe: MountProbe | undefined): RemoteFacts {
  const symlinks = probe?.symlinks !== false;
  const absolute = probe?.absoluteSymlinks !== false;
  const parent = probe?.parentSymlinks !== false;
  const modesKept = probe?.modesKept !== false;
  const mtimesRewritten = probe?.mtimesKept === false;
  return {
    hardLinks: probe?.hardLinks !== false,
    canStoreSymlink: (target) =>
      symlinks && (absolute || !target.startsWith('/')) && (parent || !hasParentStep(target)),
    modesKept,
    mtimesRewritten,
    rereadAfterUpload: !modesKept || mtimesRewritten,
    settleMs: settleMsOf(probe),
  };
}

/**
 * Mounts whose program answers an open and a stat from its own cache until that cache expires: rclone's
 * VFS and davfs2 (measured: a server edit showed through neither before the listing cache ran out, however
 * the file was opened or stat'ed).
 */
const CACHES_OPENS: ReadonlySet<RemoteKind> = new Set(['rclone', 'davfs2']);

/** The longest a pass waits for such a cache; longer caches are a risk the probe warns about instead. */
export const MAX_SETTLE_S = 60;

/**
 * How long a pass waits, after its plan is made, before it checks a remote path it is about to overwrite
 * or delete, so that the check sees at least what the server held when the plan was made: the listing
 * cache (plus half a second for the timers) on mounts that answer opens from their own cache, if it is
 * known, not 0 and at most MAX_SETTLE_S; else 0.
 */
export function settleMsOf(probe: MountProbe | undefined): number {
  if (probe === undefined || !CACHES_OPENS.has(probe.kind)) return 0;
  const s = probe.listingCacheS;
  return s === null || s === 0 || s > MAX_SETTLE_S ? 0 : Math.ceil(s * 1000) + 500;
}

/**
 * Why a server edit may still be overwritten on this mount (kept as a remote version, no conflict), or
 * undefined: its cache is too long to wait out, or unknown.
 */
export function staleViewRisk(probe: MountProbe): string | undefined {
  if (!CACHES_OPENS.has(probe.kind) || settleMsOf(probe) > 0 || probe.listingCacheS === 0) return undefined;
  const s = probe.listingCacheS;
  return (
    `the ${probe.kind} mount answers from its own cache for ${s === null ? 'an unknown time' : `up to ${s} s`}` +
    `${probe.notes.listingCacheS !== undefined ? ` (${probe.notes.listingCacheS})` : ''}, longer than lazysync waits ` +
    `(${MAX_SETTLE_S} s): a server edit made that recently can be overwritten by a local edit, kept only as a ` +
    'remote version with no conflict reported; see `lazysync doctor` for the option that shortens it'
  );
}

/** Why a symlink cannot be stored on the remote, for the one warning about it. */
export function symlinkLimit(probe: MountProbe | undefined, target: string): string {
  const what = probe === undefined ? 'the remote' : `the ${probe.kind} mount`;
  if (probe?.symlinks === false) {
    const why = probe.notes.symlinks !== undefined ? ` (${probe.notes.symlinks})` : '';
    return `${what} cannot store symlinks${why}`;
  }
  if (target.startsWith('/') && probe?.absoluteSymlinks === false) {
    const why = probe.notes.absoluteSymlinks !== undefined ? ` (${probe.notes.absoluteSymlinks})` : '';
    return `${what} cannot store symlinks with an absolute target${why}`;
  }
  if (hasParentStep(target) && probe?.parentSymlinks === false) {
    const why = probe.notes.parentSymlinks !== undefined ? ` (${probe.notes.parentSymlinks})` : '';
    return `${what} cannot store symlinks whose target has ".."${why}`;
  }
  return `${what} cannot store this symlink`;
}

/** The link text has a `..` component (it may lead out of its folder). */
function hasParentStep(target: string): boolean {
  return target.split('/').includes('..');
}
