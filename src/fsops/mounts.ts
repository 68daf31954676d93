// Which mount a path is on, from /proc/self/mountinfo: is R still the mount it was at the first sync?
import fsp from 'node:fs/promises';

export interface MountInfo {
  /** Where it is mounted, a binary string with the kernel's \NNN escapes decoded. */
  mountPoint: string;
  /** The directory of the mounted filesystem that appears at mountPoint (decoded). */
  root: string;
  fsType: string;
  /** e.g. `/dev/vda1` or `user@host:/dir` (decoded). */
  source: string;
  options: string;
}

/**
 * Parse the text of /proc/PID/mountinfo, read as a binary string (latin1), so that mount points that are
 * not UTF-8 keep their bytes. Lines that do not parse are skipped.
 * Format: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    const [, , , root, mountPoint, options] = f;
    const fsType = f[sep + 1];
    const source = f[sep + 2];
    if (sep < 0 || root === undefined || mountPoint === undefined || options === undefined) continue;
    if (fsType === undefined || source === undefined) continue;
    out.push({
      mountPoint: unescapeOctal(mountPoint),
      root: unescapeOctal(root),
      fsType: unescapeOctal(fsType),
      source: unescapeOctal(source),
      options,
    });
  }
  return out;
}

/** The kernel writes space, tab, newline and backslash in these fields as \040, \011, \012, \134. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8) & 0xff));
}

/** The mount that contains `path` (an absolute binary string, already resolved): the longest mount point. */
export function mountContaining(mounts: MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    // `>=`: a later line mounted over an earlier one at the same point is the one that is visible.
    if (inside && (best === undefined || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

async function readMounts(): Promise<MountInfo[]> {
  return parseMountinfo((await fsp.readFile('/proc/self/mountinfo')).toString('latin1'));
}

async function resolve(abs: string): Promise<string> {
  return (await fsp.realpath(Buffer.from(abs, 'latin1'), { encoding: 'buffer' })).toString('latin1');
}

/** The mount `abs` (binary string) is on, after resolving it with realpath. Fs errors (ENOENT, ENOTCONN) propagate. */
export async function mountOf(abs: string): Promise<{ mountPoint: string; fsType: string } | undefined> {
  const m = mountContaining(await readMounts(), await resolve(abs));
  return m === undefined ? undefined : { mountPoint: m.mountPoint, fsType: m.fsType };
}

/** True if `abs` (binary string, resolved with realpath) is itself a mount point. */
export async function isMountPoint(abs: string): Promise<boolean> {
  const path = await resolve(abs);
  return (await readMounts()).some((m) => m.mountPoint === path);
}
