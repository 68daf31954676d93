// What a remote mount can do, decided from what one experiment in its scratch folder observed (pure: the
// experiment itself is probe-run.ts), and when to run it again. The executor and change detection choose
// their way from what it implies (probe-facts.ts) instead of guessing from one errno per call, and
// `lazysync doctor` prints it with the mount options to use.
import { listingCacheOf } from './probe-listing-cache.js';

/** The kinds of mount whose quirks are known. */
export type RemoteKind =
  'sshfs' | 'rclone' | 'davfs2' | 'smbnetfs' | 'cifs' | 'nfs' | 'fuse' | 'local-disk' | 'other';

/** Which mount holds the remote: a remount gives another id (and usually another device). */
export interface MountIdentity {
  /** Binary string, as the kernel wrote it (escapes decoded). */
  mountPoint: string;
  fsType: string;
  source: string;
  /** The mount id (first field of /proc/self/mountinfo). */
  id: number;
  /** The device, MAJOR:MINOR. */
  dev: string;
}

/** One call of the experiment: it worked, or failed with this errno (or message). */
export type Outcome = { ok: true } | { ok: false; error: string };

/** What the experiment saw. Every field is optional: an experiment stops at the first step it cannot take. */
export interface ProbeObservations {
  mount: MountIdentity | undefined;
  /** Making the scratch folder R/.lazysync/probe-*: without it nothing else could be tried. */
  scratch: Outcome;
  hardLink?: Outcome;
  /** A relative symlink made, and its link text read back. */
  symlink?: Outcome & { readBack?: string; wanted?: string };
  absoluteSymlink?: Outcome & { readBack?: string; wanted?: string };
  /** A link text with a `..` component, made and read back. */
  parentSymlink?: Outcome & { readBack?: string; wanted?: string };
  /** rename(2) of one file over another, and the content read afterwards. */
  renameOver?: Outcome & { sameContent?: boolean };
  fsync?: Outcome;
  /** The mtime set on a closed temp file (ms, with a fraction) and read back at once. */
  mtimeSetMs?: number;
  mtimeReadMs?: number;
  /** The mode set on the temp file, and what the final name showed after the rename. */
  modeSet?: number;
  modeAfterRename?: number;
  mtimeAfterRenameMs?: number;
  /** A name written in one case and looked up in another: found means case-insensitive. */
  caseFold?: Outcome & { foundOtherCase?: boolean };
  /** The longest name (bytes) that could be created, searched down from 255. */
  maxNameLength?: number;
  /** The command line of the FUSE program serving the mount, when it could be read from /proc. */
  fuseArgv?: string[];
  /** The mount's superblock options from mountinfo (NFS and SMB clients show their cache times there). */
  superOptions?: string;
  /**
   * davfs2 only: the text of the configuration files mount.davfs read, in the order it read them (the system
   * file, then the user's or the one named by `conf=`), with the name of each; its cache times are there.
   */
  davfsConfig?: { file: string; text: string }[];
}

export interface MountProbe {
  version: 1;
  probedAt: string;
  mount: MountIdentity | null;
  kind: RemoteKind;
  /** null: could not be told (the scratch folder could not be made, or the step failed before it). */
  writable: boolean;
  hardLinks: boolean | null;
  symlinks: boolean | null;
  /** An absolute link text reads back unchanged (sshfs's default contain_symlinks refuses to read it). */
  absoluteSymlinks: boolean | null;
  /** A link text with a `..` component reads back unchanged (contain_symlinks refuses these too). */
  parentSymlinks: boolean | null;
  renameOver: boolean | null;
  /** The finest mtime step the remote keeps, in ms (0.001 = 1 µs, 1000 = whole seconds). */
  mtimePrecisionMs: number | null;
  /** An mtime set through the mount is still there after close and rename, and after a remount. */
  mtimesKept: boolean | null;
  /** A mode set through the mount is still there after close and rename. */
  modesKept: boolean | null;
  fsync: boolean | null;
  caseSensitive: boolean | null;
  maxNameLength: number | null;
  /**
   * How long the mount may show a folder's listing as it was (seconds; 0: not cached), from the mount's
   * options or its program's defaults: a server change reaches the local folder up to this much later.
   */
  listingCacheS: number | null;
  /** Why a capability is missing or unknown, by field name (an errno, or what was seen instead). */
  notes: Partial<Record<CapabilityName, string>>;
}

export type CapabilityName =
  | 'writable'
  | 'hardLinks'
  | 'symlinks'
  | 'absoluteSymlinks'
  | 'parentSymlinks'
  | 'renameOver'
  | 'mtimePrecisionMs'
  | 'mtimesKept'
  | 'modesKept'
  | 'fsync'
  | 'caseSensitive'
  | 'maxNameLength'
  | 'listingCacheS';

/** Magic numbers are not in mountinfo; the type and source say which program serves a FUSE mount. */
export function kindOf(mount: Pick<MountIdentity, 'fsType' | 'source'> | undefined): RemoteKind {
  if (mount === undefined) return 'other';
  const t = mount.fsType;
  if (t === 'fuse.sshfs') return 'sshfs';
  if (t === 'fuse.rclone') return 'rclone';
  if (t === 'fuse.smbnetfs') return 'smbnetfs';
  if (t === 'cifs' || t === 'smb3') return 'cifs';
  if (t === 'nfs' || t === 'nfs4') return 'nfs';
  // davfs2 mounts as plain `fuse` (or `fuse.davfs`) with the server's URL as source.
  if (t === 'fuse.davfs' || t === 'davfs' || (t === 'fuse' && /^https?:\/\//i.test(mount.source))) {
    return 'davfs2';
  }
  if (t === 'fuse' || t.startsWith('fuse.') || t.startsWith('fuseblk')) return 'fuse';
  if (LOCAL_DISK_TYPES.has(t)) return 'local-disk';
  return 'other';
}

const LOCAL_DISK_TYPES = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'tmpfs',
  'f2fs',
  'zfs',
  'overlay',
  'bcachefs',
  'ramfs',
  'jfs',
  'nilfs2',
]);

/** mtime steps tried, finest first, in ms: 1 µs, 1 ms, 10 ms (some FUSE servers), 1 s, 2 s (FAT). */
const MTIME_STEPS_MS = [0.001, 1, 10, 1000, 2000];

/**
 * The finest step at which `readMs` is `setMs` truncated or rounded; null if neither (the set was ignored).
 * Both are lstat mtimeMs doubles, exact to about 0.25 µs at today's dates.
 */
export function mtimePrecisionOf(setMs: number, readMs: number): number | null {
  const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.0006;
  for (const step of MTIME_STEPS_MS) {
    if (near(readMs, Math.floor(setMs / step) * step) || near(readMs, Math.round(setMs / step) * step)) {
      return step;
    }
  }
  return null;
}

function outcome(o: Outcome | undefined): boolean | null {
  return o === undefined ? null : o.ok;
}

/** Turns what the experiment observed into the capabilities; `now` is the probe's time. */
export function interpretProbe(obs: ProbeObservations, now: Date): MountProbe {
  const kind = kindOf(obs.mount);
  const notes: MountProbe['notes'] = {};
  const note = (name: CapabilityName, o: Outcome | undefined): void => {
    if (o !== undefined && !o.ok) notes[name] = o.error;
  };
  note('writable', obs.scratch);
  note('hardLinks', obs.hardLink);
  note('fsync', obs.fsync);
  note('caseSensitive', obs.caseFold);

  let symlinks = outcome(obs.symlink);
  if (obs.symlink?.ok === false) note('symlinks', obs.symlink);
  else if (obs.symlink?.ok === true && obs.symlink.readBack !== obs.symlink.wanted) {
    symlinks = false;
    notes.symlinks = `link text reads back as ${JSON.stringify(obs.symlink.readBack ?? '')}`;
  }
  const readsBack = (
    name: 'absoluteSymlinks' | 'parentSymlinks',
    o: ProbeObservations['absoluteSymlink'],
  ): boolean | null => {
    if (symlinks === false) return false;
    if (o === undefined) return null;
    if (!o.ok) {
      note(name, o);
      return false;
    }
    if (o.readBack === o.wanted) return true;
    notes[name] =
      o.readBack === undefined
        ? 'made, but its link text cannot be read'
        : `the link text ${JSON.stringify(o.wanted)} reads back as ${JSON.stringify(o.readBack)}`;
    return false;
  };
  const absoluteSymlinks = readsBack('absoluteSymlinks', obs.absoluteSymlink);
  const parentSymlinks = readsBack('parentSymlinks', obs.parentSymlink);

  let renameOver = outcome(obs.renameOver);
  if (obs.renameOver?.ok === false) note('renameOver', obs.renameOver);
  else if (obs.renameOver?.ok === true && obs.renameOver.sameContent === false) {
    renameOver = false;
    notes.renameOver = 'the old content was still there after the rename';
  }

  const mtimePrecisionMs =
    obs.mtimeSetMs !== undefined && obs.mtimeReadMs !== undefined
      ? mtimePrecisionOf(obs.mtimeSetMs, obs.mtimeReadMs)
      : null;
  if (mtimePrecisionMs === null && obs.mtimeReadMs !== undefined) {
    notes.mtimePrecisionMs = 'an mtime set through the mount was not kept';
  }
  let mtimesKept: boolean | null = null;
  if (obs.mtimeSetMs !== undefined && obs.mtimeAfterRenameMs !== undefined) {
    const p = mtimePrecisionOf(obs.mtimeSetMs, obs.mtimeAfterRenameMs);
    mtimesKept = p !== null;
    if (!mtimesKept) notes.mtimesKept = 'the mtime set before the rename was gone after it';
  }
  if (kind === 'davfs2') {
    // davfs2 keeps the set mtime only in its local cache; the server stamps its own time on upload, and
    // that is what the mount shows after a remount. The experiment cannot remount, so this is known.
    mtimesKept = false;
    notes.mtimesKept = 'davfs2 shows the server upload time after a remount';
  }
  let modesKept: boolean | null = null;
  if (obs.modeSet !== undefined && obs.modeAfterRename !== undefined) {
    modesKept = obs.modeSet === obs.modeAfterRename;
    if (!modesKept) {
      notes.modesKept = `set ${octal(obs.modeSet)}, the mount shows ${octal(obs.modeAfterRename)}`;
    }
  }

  let caseSensitive: boolean | null = null;
  if (obs.caseFold?.ok === true) caseSensitive = obs.caseFold.foundOtherCase !== true;

  const cache = listingCacheOf(
    kind,
    obs.fuseArgv,
    obs.superOptions ?? '',
    obs.davfsConfig,
    obs.mount?.mountPoint,
  );
  notes.listingCacheS = cache.how;
  return {
    version: 1,
    probedAt: now.toISOString(),
    mount: obs.mount ?? null,
    kind,
    writable: obs.scratch.ok,
    hardLinks: outcome(obs.hardLink),
    symlinks,
    absoluteSymlinks,
    parentSymlinks,
    renameOver,
    mtimePrecisionMs,
    mtimesKept,
    modesKept,
    fsync: outcome(obs.fsync),
    caseSensitive,
    maxNameLength: obs.maxNameLength ?? null,
    listingCacheS: cache.seconds,
    notes,
  };
}

export function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/**
 * A probe is redone after this long even on what looks like the same mount: the kernel reuses mount ids
 * and anonymous device numbers, so a remount (with other options, say) can look exactly like the old mount.
 */
export const PROBE_MAX_AGE_MS = 24 * 3600_000;

/**
 * Should the probe run again? Yes without one, when another mount (or none) holds the remote now, and
 * once the probe is older than PROBE_MAX_AGE_MS at `nowMs`.
 */
export function probeIsStale(
  saved: MountProbe | undefined,
  now: MountIdentity | undefined,
  nowMs: number,
): boolean {
  if (saved === undefined) return true;
  const age = nowMs - Date.parse(saved.probedAt);
  if (!(age >= 0 && age < PROBE_MAX_AGE_MS)) return true;
  if (saved.mount === null || now === undefined) return saved.mount !== null || now !== undefined;
  return (
    saved.mount.id !== now.id ||
    saved.mount.dev !== now.dev ||
    saved.mount.mountPoint !== now.mountPoint ||
    saved.mount.fsType !== now.fsType ||
    saved.mount.source !== now.source
  );
}

/** A saved probe from its JSON, or undefined if it is not one this build understands. */
export function parseProbe(json: string | undefined): MountProbe | undefined {
  if (json === undefined) return undefined;
  try {
    const p = JSON.parse(json) as Partial<MountProbe>;
    return p.version === 1 && typeof p.kind === 'string' ? (p as MountProbe) : undefined;
  } catch {
    return undefined;
  }
}
