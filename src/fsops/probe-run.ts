// The mount probe's experiment: a few calls in a scratch folder R/.lazysync/probe-* (always removed), and
// the mount that holds R from /proc/self/mountinfo. What the results mean is decided in probe.ts.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isFsError, messageOf } from '../errors.js';
import { mountContaining, parseMountinfo } from './mounts.js';
import {
  interpretProbe,
  kindOf,
  type MountIdentity,
  type MountProbe,
  type Outcome,
  type ProbeObservations,
} from './probe.js';
import { STATE_DIR } from '../core/paths.js';

/** Scratch folders are named so: one left by a killed probe is recognised and removed by the next. */
export const PROBE_PREFIX = 'probe-';
/** 2020-09-13 12:26:40.123456 UTC: a fraction finer than a millisecond shows how much of it is kept. */
const PROBE_MTIME_S = 1_600_000_000.123456;
const PROBE_MODE = 0o640;
/** Names are searched from here down; no Linux filesystem allows more than 255 bytes. */
const LONGEST_NAME = 255;

function bin(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function errorOf(e: unknown): string {
  return isFsError(e) ? e.code : messageOf(e);
}

async function attempt(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: errorOf(e) };
  }
}

/** What mountinfo says of the mount at exactly `mountPoint` (the last line wins: it is the one on top). */
export function mountLineOf(
  text: string,
  mountPoint: string,
): { id: number; dev: string; options: string; superOptions: string } | undefined {
  let found: { id: number; dev: string; options: string; superOptions: string } | undefined;
  for (const line of text.split('\n')) {
    const [head, tail] = line.split(' - ');
    const f = (head ?? '').split(' ');
    const [id, , dev, , mp, options] = f;
    if (id === undefined || dev === undefined || mp === undefined || options === undefined) continue;
    const decoded = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8) & 0xff));
    if (decoded !== mountPoint) continue;
    found = { id: Number(id), dev, options, superOptions: tail?.split(' ')[2] ?? '' };
  }
  return found;
}

async function mountLineHolding(
  remote: string,
): Promise<{ mount: MountIdentity; options: string; superOptions: string } | undefined> {
  try {
    const text = (await fsp.readFile('/proc/self/mountinfo')).toString('latin1');
    const real = (await fsp.realpath(bin(remote), { encoding: 'buffer' })).toString('latin1');
    const m = mountContaining(parseMountinfo(text), real);
    if (m === undefined) return undefined;
    const line = mountLineOf(text, m.mountPoint);
    if (line === undefined) return undefined;
    const { id, dev, options, superOptions } = line;
    return {
      mount: { mountPoint: m.mountPoint, fsType: m.fsType, source: m.source, id, dev },
      options,
      superOptions,
    };
  } catch {
    return undefined;
  }
}

/** The mount that holds `remote` (a binary string) now, or undefined if it cannot be told. */
export async function mountIdentityOf(remote: string): Promise<MountIdentity | undefined> {
  return (await mountLineHolding(remote))?.mount;
}

/** The options of the mount holding `remote` as the kernel shows them (per mount, then superblock). */
export async function mountOptionsOf(remote: string): Promise<string | undefined> {
  const l = await mountLineHolding(remote);
  return l === undefined ? undefined : [l.options, l.superOptions].filter((o) => o !== '').join('; ');
}

/**
 * Runs the experiment in a new scratch folder under R/.lazysync (created if missing) and removes it, even
 * when a step fails. Leftover scratch folders of earlier probes are removed first. Never throws for what
 * the remote cannot do; `now` stamps the result.
 */
export async function probeMount(
  remote: string,
  opts: { now?: () => Date; leaveNoStateDir?: boolean } = {},
): Promise<MountProbe> {
  const obs = await observeMount(remote, opts.leaveNoStateDir === true);
  return interpretProbe(obs, (opts.now ?? (() => new Date()))());
}

/**
 * `leaveNoStateDir`: R/.lazysync is removed again if the probe made it (it is the pair's marker: a folder
 * that was never synced must not get one from a look at it).
 */
async function observeMount(remote: string, leaveNoStateDir: boolean): Promise<ProbeObservations> {
  const line = await mountLineHolding(remote);
  const mount = line?.mount;
  const state = `${remote}/${STATE_DIR}`;
  const stateExisted = (await attempt(() => fsp.lstat(bin(state)))).ok;
  await removeLeftovers(state);
  const dir = `${state}/${PROBE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  const scratch = await attempt(async () => {
    await fsp.mkdir(bin(state), { recursive: true });
    await fsp.mkdir(bin(dir));
  });
  const obs: ProbeObservations = { mount, scratch, superOptions: line?.superOptions ?? '' };
  const argv = mount === undefined ? undefined : await fuseArgvOf(mount);
  if (argv !== undefined) obs.fuseArgv = argv;
  if (kindOf(mount) === 'davfs2') obs.davfsConfig = await davfsConfigOf(argv);
  try {
    if (scratch.ok) await experiment(dir, obs);
  } finally {
    await fsp.rm(bin(dir), { recursive: true, force: true, maxRetries: 2 }).catch(() => undefined);
    if (leaveNoStateDir && !stateExisted) await fsp.rmdir(bin(state)).catch(() => undefined);
  }
  return obs;
}

async function removeLeftovers(state: string): Promise<void> {
  let names: string[];
  try {
    names = (await fsp.readdir(bin(state), { encoding: 'buffer' })).map((b) => b.toString('latin1'));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(PROBE_PREFIX)) continue;
    const pid = Number(n.slice(PROBE_PREFIX.length).split('-')[0]);
    if (pid === process.pid || isAlive(pid)) continue; // another probe running now
    await fsp.rm(bin(`${state}/${n}`), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isFsError(e) && e.code === 'EPERM';
  }
}

async function experiment(dir: string, obs: ProbeObservations): Promise<void> {
  const file = `${dir}/file`;
  const temp = `${dir}/temp`;

  // A temp file written, flushed, stamped and renamed into place: what every upload does.
  obs.fsync = await attempt(async () => {
    const fh = await fsp.open(bin(temp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.write('probe');
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
  if (!obs.fsync.ok) {
    // Some servers refuse fsync itself: make the file without it so the rest can be tried.
    const made = await attempt(() => fsp.writeFile(bin(temp), 'probe'));
    if (!made.ok) return;
  }
  const setMs = PROBE_MTIME_S * 1000;
  if ((await attempt(() => fsp.lutimes(bin(temp), PROBE_MTIME_S, PROBE_MTIME_S))).ok) {
    obs.mtimeSetMs = setMs;
    obs.mtimeReadMs = (await fsp.lstat(bin(temp))).mtimeMs;
  }
  if ((await attempt(() => fsp.chmod(bin(temp), PROBE_MODE))).ok) obs.modeSet = PROBE_MODE;
  if (!(await attempt(() => fsp.rename(bin(temp), bin(file)))).ok) return;
  const after = await fsp.lstat(bin(file));
  if (obs.mtimeSetMs !== undefined) obs.mtimeAfterRenameMs = after.mtimeMs;
  if (obs.modeSet !== undefined) obs.modeAfterRename = after.mode & 0o7777;

  obs.hardLink = await attempt(() => fsp.link(bin(file), bin(`${dir}/hardlink`)));

  const relTarget = 'file';
  obs.symlink = {
    ...(await attempt(() => fsp.symlink(bin(relTarget), bin(`${dir}/symlink`)))),
    wanted: relTarget,
  };
  if (obs.symlink.ok) obs.symlink.readBack = await readLink(`${dir}/symlink`);
  const absTarget = `/${STATE_DIR}-probe/absolute`;
  obs.absoluteSymlink = {
    ...(await attempt(() => fsp.symlink(bin(absTarget), bin(`${dir}/absolute`)))),
    wanted: absTarget,
  };
  if (obs.absoluteSymlink.ok) obs.absoluteSymlink.readBack = await readLink(`${dir}/absolute`);
  const parentTarget = '../file';
  obs.parentSymlink = {
    ...(await attempt(() => fsp.symlink(bin(parentTarget), bin(`${dir}/parent`)))),
    wanted: parentTarget,
  };
  if (obs.parentSymlink.ok) obs.parentSymlink.readBack = await readLink(`${dir}/parent`);

  const over = `${dir}/over`;
  const renamed = await attempt(async () => {
    await fsp.writeFile(bin(over), 'new');
    await fsp.rename(bin(over), bin(file));
  });
  obs.renameOver = renamed.ok
    ? { ok: true, sameContent: (await fsp.readFile(bin(file), 'latin1')) === 'new' }
    : renamed;

  const cased = `${dir}/CaseTest`;
  obs.caseFold = await attempt(() => fsp.writeFile(bin(cased), ''));
  if (obs.caseFold.ok) {
    obs.caseFold.foundOtherCase = (await attempt(() => fsp.lstat(bin(`${dir}/cASEtEST`)))).ok;
  }

  obs.maxNameLength = await longestName(dir);
}

async function readLink(abs: string): Promise<string | undefined> {
  try {
    return (await fsp.readlink(bin(abs), { encoding: 'buffer' })).toString('latin1');
  } catch {
    return undefined;
  }
}

/** The longest name that can be created in `dir`: 255 usually, else a binary search below it. */
async function longestName(dir: string): Promise<number | undefined> {
  const fits = async (n: number): Promise<boolean | undefined> => {
    const name = `${dir}/${'n'.repeat(n)}`;
    try {
      await fsp.writeFile(bin(name), '');
      await fsp.unlink(bin(name)).catch(() => undefined);
      return true;
    } catch (e) {
      return isFsError(e) && e.code === 'ENAMETOOLONG' ? false : undefined;
    }
  };
  const top = await fits(LONGEST_NAME);
  if (top === undefined) return undefined;
  if (top) return LONGEST_NAME;
  let lo = 1;
  let hi = LONGEST_NAME - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const ok = await fits(mid);
    if (ok === undefined) return undefined;
    if (ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The configuration files mount.davfs read, in its order: the system file, then the one named by `conf=`
 * on its command line or else the user's (davfs2.conf(5)). Files that cannot be read are left out.
 */
async function davfsConfigOf(argv: readonly string[] | undefined): Promise<{ file: string; text: string }[]> {
  // mount.davfs splits its `-o` list in place: the options show as separate arguments.
  const conf = argv
    ?.flatMap((a) => a.split(','))
    .find((a) => a.startsWith('conf='))
    ?.slice('conf='.length);
  const files = ['/etc/davfs2/davfs2.conf', conf ?? join(homedir(), '.davfs2', 'davfs2.conf')];
  const out: { file: string; text: string }[] = [];
  for (const file of files) {
    const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) out.push({ file, text });
  }
  return out;
}

/**
 * The command line of the FUSE program serving `mount` (a process of this user whose arguments name its
 * mount point), or undefined: its options say how long it caches listings, which mountinfo does not show.
 */
async function fuseArgvOf(mount: MountIdentity): Promise<string[] | undefined> {
  if (!mount.fsType.startsWith('fuse')) return undefined;
  let pids: string[];
  try {
    pids = (await fsp.readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = (await fsp.readFile(`/proc/${pid}/cmdline`)).toString('latin1').split('\0');
    } catch {
      continue; // gone, or another user's
    }
    if (argv.length > 1 && argv.slice(1).includes(mount.mountPoint)) return argv;
  }
  return undefined;
}
