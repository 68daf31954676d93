// The control socket: where it lives, a folder only its owner can enter, one daemon per socket.
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

/**
 * Creates the socket's folder with mode 0700, or checks an existing one: it must be a real folder (not a
 * symlink) owned by us with no group or other permissions, since the folder is what keeps others out.
 */
export function prepareSocketDir(socketPath: string): void {
  const dir = path.dirname(socketPath);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new LazysyncError('usage', `cannot create the socket folder ${dir}: ${messageOf(e)}`, { cause: e });
  }
  const st = fs.lstatSync(dir);
  const fix = `use another --socket, or remove or fix ${dir}`;
  if (!st.isDirectory()) {
    throw new LazysyncError('usage', `refusing the socket folder ${dir}: it is not a folder (${fix})`);
  }
  if (st.uid !== uid()) {
    throw new LazysyncError(
      'usage',
      `refusing the socket folder ${dir}: it belongs to uid ${st.uid}, not to you (uid ${uid()}); ${fix}`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new LazysyncError(
      'usage',
      `refusing the socket folder ${dir}: its mode is ${mode}, others could reach the socket; run chmod 700 ${dir} or ${fix}`,
    );
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
 * Makes sure no other daemon serves `socketPath`: one that answers is refused (DaemonRunningError); a stale
 * socket file (nobody listening) is removed; anything else at that path is refused.
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  const st = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (!st.isSocket()) {
    throw new LazysyncError(
      'usage',
      `${socketPath} exists and is not a socket; remove it or use another --socket`,
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
 * Listens on `socketPath` (its folder prepared, any other daemon refused, a stale socket replaced) and
 * makes the socket 0600. Until the chmod the socket has the umask's mode, but its 0700 folder already
 * keeps everyone else out.
 */
export async function listenOnSocket(server: net.Server, socketPath: string): Promise<void> {
  prepareSocketDir(socketPath);
  await claimSocketPath(socketPath);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    if (hasCode(e, 'EADDRINUSE')) throw await alreadyRunning(socketPath); // lost a race with another daemon
    throw new LazysyncError('io', `cannot listen on ${socketPath}: ${messageOf(e)}`, { cause: e });
  }
  fs.chmodSync(socketPath, 0o600);
}
