// The control socket: where it lives, a socket only its owner can reach or replace, one daemon per socket.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { hasCode, LazysyncError, messageOf } from '../errors.js';
import { readPidFile } from './pid.js';

/** `--socket`, else `$LAZYSYNC_SOCKET`, else `$XDG_RUNTIME_DIR/lazysync/daemon.sock`, else `/tmp/lazysync-UID/daemon.sock`. */
export function resolveSocketPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return path.resolve(flag);
  if (env.LAZYSYNC_SOCKET !== undefined && env.LAZYSYNC_SOCKET !== '')
    return path.resolve(env.LAZYSYNC_SOCKET);
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime !== '') return path.resolve(runtime, 'lazysync', 'daemon.sock');
  return path.join('/tmp', `lazysync-${uid()}`, 'daemon.sock');
}

function uid(): number {
  return process.getuid?.() ?? 0;
}

/** What the checks below need of a stat result. */
export interface OwnerMode {
  uid: number;
  /** st_mode: file type and permission bits. */
  mode: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const STICKY = 0o1000;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why a folder on the way to the socket would let others replace it, or undefined if it would not. Only
 * its owner (us or root) may add, remove or rename entries: it must not be writable by group or others,
 * unless the sticky bit limits that to each entry's owner (as in /tmp). Read and search permission for
 * others are fine: connecting needs write permission on the socket itself, which is 0600.
 */
export function socketDirProblem(st: OwnerMode, me: number, linkAllowed = false): string | undefined {
  const type = st.mode & S_IFMT;
  if (type !== S_IFDIR && !(linkAllowed && type === S_IFLNK)) return 'is not a folder';
  if (st.uid !== me && st.uid !== 0) return `belongs to uid ${st.uid}, not to you (uid ${me}) or root`;
  if (type === S_IFLNK) return undefined; // a symlink's own mode means nothing; where it leads is checked too
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) {
    return `has mode ${octal(st.mode)}: others could replace the socket`;
  }
  return undefined;
}

/**
 * Why an existing file at the socket's path must not be taken over, or undefined: only a socket of ours
 * with mode 0600 is (a stale one is then replaced; a live one is another daemon of ours).
 */
export function existingSocketProblem(st: OwnerMode, me: number): string | undefined {
  if ((st.mode & S_IFMT) !== S_IFSOCK) return 'it exists and is not a socket';
  if (st.uid !== me) return `it is a socket of uid ${st.uid}, not yours (uid ${me})`;
  if ((st.mode & 0o777) !== 0o600) return `it is a socket with mode ${octal(st.mode)}, not 0600`;
  return undefined;
}

/** `dir` and every folder above it, innermost first. */
function selfAndAbove(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

/**
 * Creates the socket's folder (mode 0700) if it is missing, then checks that no one else could replace
 * the socket: neither its folder nor any folder above may be writable by others (see socketDirProblem).
 */
export function prepareSocketDir(socketPath: string): void {
  const dir = path.dirname(socketPath);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new LazysyncError('usage', `cannot create the socket folder ${dir}: ${messageOf(e)}`, { cause: e });
  }
  // The path as written (the socket's own folder must be a real folder, the ones above may be symlinks of
  // ours or root's), then the folders it really leads through.
  const checks = new Map<string, boolean>(); // folder -> a symlink is allowed there
  for (const [i, folder] of selfAndAbove(dir).entries()) checks.set(folder, i > 0);
  for (const folder of selfAndAbove(fs.realpathSync(dir))) checks.set(folder, false);
  for (const [folder, linkAllowed] of checks) {
    const st = fs.lstatSync(folder);
    const problem = socketDirProblem(st, uid(), linkAllowed);
    if (problem !== undefined) {
      const fix = problem.startsWith('has mode')
        ? `run chmod go-w ${folder}, or use another --socket`
        : 'use another --socket';
      throw new LazysyncError('usage', `refusing the socket ${socketPath}: ${folder} ${problem}; ${fix}`);
    }
  }
}

/** Connects to `socketPath`: 'answering', 'stale' (a socket file nobody listens on) or 'absent'. */
export function probeSocket(socketPath: string, timeoutMs = 2000): Promise<'answering' | 'stale' | 'absent'> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('answering'); // accepted or pending: someone owns it
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('answering');
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      if (hasCode(e, 'ECONNREFUSED')) resolve('stale');
      else if (hasCode(e, 'ENOENT')) resolve('absent');
      else reject(e);
    });
  });
}

/** The pid a daemon on `socketPath` reports in `/v1/status`, or undefined. */
export function askDaemonPid(socketPath: string, timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/v1/status', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 1 << 20) body += c;
      });
      res.on('end', () => {
        try {
          const pid = (JSON.parse(body) as { pid?: unknown }).pid;
          resolve(typeof pid === 'number' ? pid : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Makes sure no other daemon serves `socketPath`: anything there but a socket of ours with mode 0600 is
 * refused (existingSocketProblem); one that answers is refused (DaemonRunningError); a stale one (nobody
 * listening) is removed.
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  const st = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (st === undefined) return;
  const problem = existingSocketProblem(st, uid());
  if (problem !== undefined) {
    throw new LazysyncError(
      'usage',
      `refusing the socket ${socketPath}: ${problem}; remove it or use another --socket`,
    );
  }
  const state = await probeSocket(socketPath);
  if (state === 'answering') throw await alreadyRunning(socketPath);
  if (state === 'stale') fs.rmSync(socketPath, { force: true });
}

/** Another daemon answers on the socket (code 'locked', so the exit code is 1). */
export class DaemonRunningError extends LazysyncError {
  constructor(
    readonly socketPath: string,
    readonly pid: number | undefined,
  ) {
    super(
      'locked',
      `another lazysync daemon is already running on ${socketPath}${pid !== undefined ? ` (pid ${pid})` : ''}`,
    );
    this.name = 'DaemonRunningError';
  }
}

async function alreadyRunning(socketPath: string): Promise<DaemonRunningError> {
  return new DaemonRunningError(socketPath, (await askDaemonPid(socketPath)) ?? readPidFile(socketPath));
}

/**
 * Listens on `socketPath` (its folder prepared, any other daemon refused, a stale socket replaced). The
 * socket is made 0600 as it is created (the bind happens within listen(), under a umask of 0177), since
 * its folder may be open to others: the socket's own mode is what keeps them out.
 */
export async function listenOnSocket(server: net.Server, socketPath: string): Promise<void> {
  prepareSocketDir(socketPath);
  await claimSocketPath(socketPath);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const umask = process.umask(0o177);
      try {
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(umask);
      }
    });
  } catch (e) {
    if (hasCode(e, 'EADDRINUSE')) throw await alreadyRunning(socketPath); // lost a race with another daemon
    throw new LazysyncError('io', `cannot listen on ${socketPath}: ${messageOf(e)}`, { cause: e });
  }
  fs.chmodSync(socketPath, 0o600);
}
