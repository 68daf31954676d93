// What a probe means for people (pure): one line per capability with what lazysync does about it, and the
// mount options to use for that kind of mount, each with why. `lazysync doctor` and `status` print these.
import type { MountProbe, RemoteKind } from './probe.js';
import { settleMsOf, staleViewRisk } from './probe-facts.js';

export interface Advice {
  /** The option as it is written for that mount program (or config file). */
  option: string;
  why: string;
}

/** The options worth setting for a kind of mount; `probe` adds the ones its findings call for. */
export function mountAdvice(probe: MountProbe): Advice[] {
  const out = [...(ADVICE[probe.kind] ?? [])];
  if (probe.kind === 'sshfs' && (probe.absoluteSymlinks === false || probe.parentSymlinks === false)) {
    out.push({
      option: '-o no_contain_symlinks',
      why: 'sshfs refuses to read symlinks whose text is absolute or has "..": lazysync leaves such links alone; with this option they are read and synced as they are',
    });
  }
  return out;
}

const ADVICE: Partial<Record<RemoteKind, Advice[]>> = {
  sshfs: [
    {
      option: '-o reconnect',
      why: 'without it a dropped connection leaves the mount dead (every call fails with ENOTCONN) until it is remounted; lazysync pauses the pair meanwhile',
    },
    {
      option: '-o dcache_timeout=5 (default 20)',
      why: 'sshfs shows the server as it was up to this many seconds ago: server changes reach the local folder that much later; lower means fresher views and more round trips',
    },
    {
      option: '-o dir_cache=yes (the default; keep it)',
      why: 'with it off every listing is a round trip: a pass over many folders gets much slower, and lazysync checks the server itself before it overwrites or deletes anyway',
    },
  ],
  rclone: [
    {
      option: '--vfs-cache-mode writes',
      why: 'with "off" files cannot be opened for reading and writing at once nor written out of order, so programs editing in place through the mount fail; lazysync itself writes sequentially',
    },
    {
      option: '--dir-cache-time 2s (default 5m)',
      why: 'rclone shows listings up to this old, and answers even an open from them: a server change takes that long to reach the local folder, and a pass that overwrites or deletes on the remote first waits it out (up to 60 s; longer is not waited for, and a server edit that recent can be overwritten, kept only as a version)',
    },
  ],
  davfs2: [
    {
      option: 'buf_size 32 (in /etc/davfs2/davfs2.conf or ~/.davfs2/davfs2.conf)',
      why: "kernels that read directories 32 KiB at a time get EINVAL from every listing with davfs2's default 16 KiB buffer: the remote then looks unreadable",
    },
    {
      option: 'dir_refresh 2 (default 60)',
      why: 'davfs2 shows a folder as it last read it for this many seconds, and answers even an open from that: a server change takes that long to reach the local folder, and a pass that overwrites or deletes on the remote first waits it out',
    },
    {
      option: 'delay_upload 0 (default 10)',
      why: 'davfs2 uploads a closed file only after this many seconds: until then other machines do not see it, and an unmount or crash meanwhile can lose it',
    },
  ],
  smbnetfs: [
    {
      option: 'map archive = no (smb.conf on the server, [global] or the share)',
      why: "samba's default shows every file as executable by its owner (0744), whatever mode was set: modes set through the mount do not stick",
    },
  ],
  cifs: [
    {
      option: 'map archive = no (smb.conf on the server, [global] or the share)',
      why: "samba's default shows every file as executable by its owner (0744), whatever mode was set: modes set through the mount do not stick",
    },
    {
      option: 'actimeo=5',
      why: 'the client caches attributes this many seconds: server changes reach the local folder that much later',
    },
  ],
  nfs: [
    {
      option: 'actimeo=5',
      why: 'NFS caches attributes up to 60 s by default: server changes reach the local folder that much later',
    },
  ],
};

function yesNo(v: boolean | null): string {
  return v === null ? 'unknown' : v ? 'yes' : 'no';
}

function why(probe: MountProbe, name: keyof MountProbe['notes']): string {
  const n = probe.notes[name];
  return n === undefined ? '' : ` (${n})`;
}

/** One line per finding, with what lazysync does about it where that matters. */
export function describeProbe(probe: MountProbe): string[] {
  const m = probe.mount;
  const lines = [
    m === null
      ? `mount: unknown (kind ${probe.kind})`
      : `mount: ${display(m.mountPoint)} (${m.fsType}, ${probe.kind}, source ${display(m.source)}, mount id ${m.id}, device ${m.dev})`,
    `writable: ${yesNo(probe.writable)}${why(probe, 'writable')}${probe.writable ? '' : ': nothing else could be tried'}`,
  ];
  if (!probe.writable) return lines;
  lines.push(
    `hard links: ${yesNo(probe.hardLinks)}${why(probe, 'hardLinks')}${probe.hardLinks === false ? ': versions are kept by rename' : ''}`,
    `symlinks: ${yesNo(probe.symlinks)}${why(probe, 'symlinks')}${probe.symlinks === false ? ': local symlinks stay local, with one warning each' : ''}`,
    `absolute symlinks read back: ${yesNo(probe.absoluteSymlinks)}${why(probe, 'absoluteSymlinks')}${probe.symlinks !== false && probe.absoluteSymlinks === false ? ': local symlinks with an absolute target stay local' : ''}`,
    `symlinks with ".." read back: ${yesNo(probe.parentSymlinks)}${why(probe, 'parentSymlinks')}${probe.symlinks !== false && probe.parentSymlinks === false ? ': local symlinks whose target has ".." stay local' : ''}`,
    `rename over a file: ${yesNo(probe.renameOver)}${why(probe, 'renameOver')}`,
    `mtime precision: ${precision(probe.mtimePrecisionMs)}${why(probe, 'mtimePrecisionMs')}`,
    `mtimes set through the mount stick: ${yesNo(probe.mtimesKept)}${why(probe, 'mtimesKept')}${probe.mtimesKept === false ? ': a remote file whose mtime alone moved is compared byte for byte before it is downloaded' : ''}`,
    `modes set through the mount stick: ${yesNo(probe.modesKept)}${why(probe, 'modesKept')}${probe.modesKept === false ? ': remote mode differences are ignored' : ''}`,
    `fsync: ${yesNo(probe.fsync)}${why(probe, 'fsync')}`,
    `case sensitive: ${yesNo(probe.caseSensitive)}${why(probe, 'caseSensitive')}`,
    `longest name: ${probe.maxNameLength === null ? 'unknown' : `${probe.maxNameLength} bytes`}`,
  );
  if (probe.listingCacheS !== undefined) {
    const s = probe.listingCacheS;
    const how = why(probe, 'listingCacheS');
    lines.push(
      s === null
        ? `listings cached: unknown${how}`
        : s === 0
          ? `listings cached: no${how}`
          : `listings cached: up to ${s} s${how}: server changes reach the local folder that much later${settleMsOf(probe) > 0 ? '; this mount answers opens from that cache too, so a pass waits that long before it overwrites or deletes on the remote' : ''}`,
    );
    const risk = staleViewRisk(probe);
    if (risk !== undefined) lines.push(`warning: ${risk}`);
  }
  return lines;
}

/** A short summary for logs: the kind and what it cannot do. */
export function summarizeProbe(probe: MountProbe): string {
  const cannot = probeLimits(probe);
  return `${probe.kind}${cannot.length > 0 ? `: ${cannot.join(', ')}` : ''}`;
}

/** What the remote cannot do that changes how lazysync syncs there, a few words each. */
export function probeLimits(probe: MountProbe): string[] {
  const cannot: string[] = [];
  if (!probe.writable) cannot.push('not writable');
  if (probe.hardLinks === false) cannot.push('no hard links');
  if (probe.symlinks === false) cannot.push('no symlinks');
  else {
    if (probe.absoluteSymlinks === false) cannot.push('no absolute symlinks');
    if (probe.parentSymlinks === false) cannot.push('no ".." symlinks');
  }
  if (probe.modesKept === false) cannot.push('modes not kept');
  if (probe.mtimesKept === false) cannot.push('mtimes rewritten');
  if (probe.caseSensitive === false) cannot.push('case-insensitive');
  return cannot;
}

function precision(ms: number | null): string {
  if (ms === null) return 'unknown';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms} ms`;
  return ms === 1000 ? '1 s (whole seconds)' : `${ms / 1000} s`;
}

/** A binary string (bytes) made readable for one line. */
function display(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
