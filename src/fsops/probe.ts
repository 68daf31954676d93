// What a remote mount can do, decided from what one experiment in its scratch folder observed (pure: the
// experiment itself is probe-run.ts). The executor and change detection choose their way from this instead
// of guessing from one errno per call, and `lazysync doctor` prints it with the mount options to use.

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

/** The `-o` options of a FUSE command line (`-o a,b` and `-oa,b`), in order. */
function fuseOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === '-o') out.push(...(argv[i + 1] ?? '').split(','));
    else if (a.startsWith('-o')) out.push(...a.slice(2).split(','));
  });
  return out;
}

/** The value of the last `NAME=VALUE` among `options`, if any. */
function optionValue(options: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  for (const o of options) if (o.startsWith(`${name}=`)) v = o.slice(name.length + 1);
  return v;
}

/** A Go duration as rclone takes it (`5m`, `2s`, `1h30m`, `300ms`, or bare seconds), in seconds. */
export function parseGoDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/.exec(rest);
    if (m === null) return undefined;
    total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The value after `--NAME` or `--NAME=` on a command line. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${name}`) v = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
  });
  return v;
}

/** An rclone duration flag's value in seconds, or rclone's default for it. */
function rcloneDuration(
  argv: readonly string[] | undefined,
  name: string,
  defaultS: number,
  defaultText: string,
): { seconds: number; how: string } {
  const v = argv === undefined ? undefined : flagValue(argv, name);
  const s = v === undefined ? undefined : parseGoDuration(v);
  return s !== undefined
    ? { seconds: s, how: `--${name} ${v ?? ''}` }
    : { seconds: defaultS, how: `--${name} ${defaultText} (default)` };
}

/**
 * davfs2's `dir_refresh` for the mount at `mountPoint`: the last one set, in the files' order, outside any
 * section or in the section named after the mount point (davfs2.conf(5)); undefined if none is set.
 */
export function davfsDirRefresh(
  files: readonly { file: string; text: string }[],
  mountPoint: string,
): { seconds: number; how: string } | undefined {
  let found: { seconds: number; how: string } | undefined;
  for (const { file, text } of files) {
    let applies = true;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const section = /^\[(.*)\]$/.exec(line);
      if (section !== null) {
        applies = section[1]?.trim().replaceAll('\\ ', ' ') === mountPoint;
        continue;
      }
      const m = /^dir_refresh\s+(\d+)$/.exec(line);
      if (applies && m !== null) found = { seconds: Number(m[1]), how: `dir_refresh ${m[1]} in ${file}` };
    }
  }
  return found;
}

/**
 * How long the mount may show a folder's listing as it was, and how that was found: from the FUSE
 * program's command line (sshfs, rclone), the mount's options (NFS, SMB), or the program's default.
 */
export function listingCacheOf(
  kind: RemoteKind,
  argv: readonly string[] | undefined,
  superOptions: string,
  davfsConfig?: readonly { file: string; text: string }[],
  mountPoint?: string,
): { seconds: number | null; how: string } {
  const sup = superOptions.split(',');
  switch (kind) {
    case 'sshfs': {
      if (argv === undefined)
        return { seconds: 20, how: "sshfs's default (its command line could not be read)" };
      const o = fuseOptions(argv);
      if (o.includes('cache=no') || o.includes('dir_cache=no')) return { seconds: 0, how: 'cache=no' };
      for (const name of ['dcache_dir_timeout', 'dcache_timeout', 'cache_dir_timeout', 'cache_timeout']) {
        const v = optionValue(o, name);
        if (v !== undefined && /^\d+$/.test(v)) return { seconds: Number(v), how: `${name}=${v}` };
      }
      return { seconds: 20, how: "sshfs's default" };
    }
    case 'rclone': {
      // A lookup is answered from the kernel's entry cache (--attr-timeout), then from rclone's listing.
      const dir = rcloneDuration(argv, 'dir-cache-time', 300, '5m');
      const attr = rcloneDuration(argv, 'attr-timeout', 1, '1s');
      const unread = argv === undefined ? ' (its command line could not be read)' : '';
      return { seconds: dir.seconds + attr.seconds, how: `${dir.how} + ${attr.how}${unread}` };
    }
    case 'nfs': {
      if (sup.includes('noac')) return { seconds: 0, how: 'noac' };
      const v = optionValue(sup, 'acdirmax') ?? optionValue(sup, 'actimeo');
      return v !== undefined
        ? { seconds: Number(v), how: `acdirmax=${v}` }
        : { seconds: 60, how: "NFS's default" };
    }
    case 'cifs': {
      const v = optionValue(sup, 'actimeo');
      return v !== undefined
        ? { seconds: Number(v), how: `actimeo=${v}` }
        : { seconds: 1, how: "cifs's default" };
    }
    case 'davfs2': {
      const found = davfsDirRefresh(davfsConfig ?? [], mountPoint ?? '');
      return found ?? { seconds: 60, how: "davfs2's default dir_refresh (none set in its configuration)" };
    }
    case 'local-disk':
      return { seconds: 0, how: 'a local filesystem' };
    default:
      return { seconds: null, how: 'unknown for this kind of mount' };
  }
}
