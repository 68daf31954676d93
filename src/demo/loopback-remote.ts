// A real network remote on this machine: a private sshd on a free 127.0.0.1 port, with its own host and
// user keys, serving one folder, mounted with sshfs. Nothing outside the demo's folder is read or changed
// except sshd's privilege separation folder (/run/sshd), which sshd insists on.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LazysyncError, messageOf } from '../errors.js';
import { parseMountinfo } from '../fsops/mounts.js';
import { pollUntil, startChild, type OwnedChild } from './children.js';
import { SSHD_PATH } from './prerequisites.js';

const execFileAsync = promisify(execFile);

export interface LoopbackRemoteOptions {
  /** Keys, sshd_config and nothing else (created, mode 0700). */
  sshDir: string;
  /** The folder sshd serves: "the server". */
  serverDir: string;
  /** An empty folder to mount it on. */
  mountDir: string;
  /** sshfs `-o` options besides the connection ones. */
  sshfsOptions: string[];
}

export interface LoopbackRemote {
  port: number;
  pids(): { sshd: number | undefined; sshfs: number | undefined };
  /** Unmounts (lazily if the mount is busy), then stops sshfs and sshd by their PIDs. */
  stop(): Promise<void>;
  /** Forced: detaches the mount and SIGKILLs both, synchronously (second Ctrl-C, exit hook). */
  stopNow(): void;
}

/** sshd's configuration: loopback only, key login only, this folder's keys, the built-in SFTP server. */
export function sshdConfig(port: number, sshDir: string): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(sshDir, 'hostkey')}`,
    `AuthorizedKeysFile ${path.join(sshDir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The keys live in a temp folder whose parents sshd's ownership checks would refuse.
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    `PidFile ${path.join(sshDir, 'sshd.pid')}`,
    '',
  ].join('\n');
}

/** The sshfs command line: foreground (`-f`, so the PID we hold is the mount's), our key, no prompts. */
export function sshfsArgs(o: {
  port: number;
  user: string;
  identity: string;
  serverDir: string;
  mountDir: string;
  options: string[];
}): string[] {
  const connection = [
    `IdentityFile=${o.identity}`,
    // A fresh host key every run, for a server on this machine: nothing to verify against.
    'StrictHostKeyChecking=no',
    'UserKnownHostsFile=/dev/null',
    'LogLevel=ERROR',
    'BatchMode=yes',
  ];
  return [
    '-f',
    '-p',
    String(o.port),
    '-o',
    [...connection, ...o.options].join(','),
    `${o.user}@127.0.0.1:${o.serverDir}`,
    o.mountDir,
  ];
}

/** The type of the filesystem mounted exactly at `dir` (the topmost one), or undefined. */
export function fsTypeAt(dir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'latin1');
  } catch {
    return undefined;
  }
  let type: string | undefined;
  for (const m of parseMountinfo(text)) if (m.mountPoint === dir) type = m.fsType;
  return type;
}

function fusermount(args: string[]): { ok: boolean; message: string } {
  for (const cmd of ['fusermount3', 'fusermount']) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT') continue;
    return { ok: r.status === 0, message: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
  }
  return { ok: false, message: 'neither fusermount3 nor fusermount is installed' };
}

/** Unmounts `dir` if something is mounted there; a busy mount (a shell cd'ed into it) is detached. */
export function unmountIfMounted(dir: string): void {
  if (fsTypeAt(dir) === undefined) return;
  if (!fusermount(['-u', dir]).ok) fusermount(['-uz', dir]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        addr !== null && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function makeKeys(sshDir: string): Promise<void> {
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  for (const key of ['hostkey', 'userkey']) {
    await execFileAsync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'lazysync-demo',
      '-f',
      path.join(sshDir, key),
    ]);
  }
  fs.copyFileSync(path.join(sshDir, 'userkey.pub'), path.join(sshDir, 'authorized_keys'));
  fs.chmodSync(path.join(sshDir, 'authorized_keys'), 0o600);
}

function ensurePrivsepDir(): void {
  // sshd refuses to start without it; it is normally made by the openssh-server service, which may
  // never have run (containers) or whose /run was cleared.
  try {
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch {
    // Not root: sshd then says what is missing, and that message is passed on.
  }
}

const START_TIMEOUT_MS = 20_000;

/** Starts sshd on a free port; another process may take the port first, so it tries a few. */
async function startSshd(sshDir: string): Promise<{ sshd: OwnedChild; port: number }> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    fs.writeFileSync(path.join(sshDir, 'sshd_config'), sshdConfig(port, sshDir));
    const sshd = startChild('sshd', SSHD_PATH, ['-f', path.join(sshDir, 'sshd_config'), '-D', '-e']);
    let up = false;
    await pollUntil(async () => !sshd.alive() || (up = await accepts(port)), START_TIMEOUT_MS);
    if (up) return { sshd, port };
    last = sshd.output().trim();
    await sshd.stop();
  }
  throw new LazysyncError('io', `the demo's sshd did not start on 127.0.0.1: ${last || 'no output'}`);
}

export async function startLoopbackRemote(opts: LoopbackRemoteOptions): Promise<LoopbackRemote> {
  await makeKeys(opts.sshDir);
  ensurePrivsepDir();
  const { sshd, port } = await startSshd(opts.sshDir);
  let sshfs: OwnedChild | undefined;
  const stopNow = (): void => {
    if (fsTypeAt(opts.mountDir) !== undefined) fusermount(['-uz', opts.mountDir]);
    sshfs?.killNow();
    sshd.killNow();
  };
  try {
    sshfs = startChild(
      'sshfs',
      'sshfs',
      sshfsArgs({
        port,
        user: os.userInfo().username,
        identity: path.join(opts.sshDir, 'userkey'),
        serverDir: opts.serverDir,
        mountDir: opts.mountDir,
        options: opts.sshfsOptions,
      }),
    );
    const current = sshfs;
    await pollUntil(() => !current.alive() || fsTypeAt(opts.mountDir) === 'fuse.sshfs', START_TIMEOUT_MS);
    if (fsTypeAt(opts.mountDir) !== 'fuse.sshfs') {
      throw new LazysyncError(
        'io',
        `sshfs did not mount the demo's server on ${opts.mountDir}: ${current.output().trim() || 'no output'}`,
      );
    }
  } catch (e) {
    stopNow();
    throw e instanceof LazysyncError ? e : new LazysyncError('io', messageOf(e), { cause: e });
  }
  const mounted = sshfs;
  return {
    port,
    pids: () => ({ sshd: sshd.pid, sshfs: mounted.pid }),
    async stop(): Promise<void> {
      unmountIfMounted(opts.mountDir);
      // After an unmount sshfs exits by itself; give it a moment before asking it to.
      await Promise.race([mounted.exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await mounted.stop();
      await sshd.stop();
    },
    stopNow,
  };
}
