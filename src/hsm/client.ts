// The daemon's side of the placeholder supervisor: connects (starting it if none runs), receives accesses
// to placeholders and answers them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { LazysyncError, messageOf } from '../errors.js';
import type { DenyErrno } from './events.js';
import {
  EXIT_RUNNING,
  EXIT_UNAVAILABLE,
  UNAVAILABLE_PREFIX,
  commandMarker,
  ensureRuntimeDir,
  livePid,
  runtimeDir,
  supervisorFiles,
  type SupervisorFiles,
} from './files.js';
import { FanGroup } from './group.js';
import { LineSplitter, b64, encode, unb64, type RequestBody, type ServerMessage } from './protocol.js';
import { HsmUnavailable, type HsmMode } from './unavailable.js';

export { HsmUnavailable, type HsmMode } from './unavailable.js';

export interface AccessEvent {
  id: number;
  /** The placeholder's absolute path, as the kernel names it. */
  path: Buffer;
  ino: number;
  /** The thread that is blocked. */
  pid: number;
  exe: string | null;
  comm: string | null;
  /** An open with O_TRUNC for writing: release it rather than fill it. */
  truncating: boolean;
  writing: boolean;
  /** A read, write or truncate through a descriptor opened earlier (pre-content mode): the pages it is
   * about, page-aligned; count 0 means the whole file. Absent for an open. */
  range?: { offset: number; count: number };
}

export interface HsmOptions {
  runtimeDir?: string;
}

const START_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 5_000;
const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.js', import.meta.url));

type Waiter = { resolve: (m: ServerMessage) => void; reject: (e: Error) => void };

export class HsmClient {
  /** Connects to the supervisor of `localRoot` (binary string), starting it first if none answers. */
  static async connect(localRoot: string, opts: HsmOptions = {}): Promise<HsmClient> {
    const dir = runtimeDir(opts.runtimeDir);
    try {
      ensureRuntimeDir(dir);
    } catch (e) {
      throw new HsmUnavailable(`cannot make ${dir} (${messageOf(e)}): file placeholders need root`, {
        cause: e,
      });
    }
    const files = supervisorFiles(localRoot, dir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let child: ReturnType<typeof spawn> | undefined;
    for (;;) {
      const sock = await tryConnect(files.sock);
      if (sock !== undefined) return HsmClient.#hello(sock, files);
      if (child === undefined && livePid(files) === undefined) child = startSupervisor(files, dir);
      if (child !== undefined && child.exitCode !== null) {
        if (child.exitCode === EXIT_UNAVAILABLE) throw new HsmUnavailable(reasonFromLog(files));
        if (child.exitCode !== EXIT_RUNNING) {
          throw new LazysyncError(
            'io',
            `the placeholder supervisor exited with ${child.exitCode}; see ${files.log}`,
          );
        }
        child = undefined; // another one won the race: connect to it
      }
      if (Date.now() > deadline) {
        throw new LazysyncError('io', `the placeholder supervisor did not start in time; see ${files.log}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Checks what file placeholders need, without starting anything: throws HsmUnavailable. */
  static check(localRoot: string): Promise<HsmMode> {
    return new Promise((resolve, reject) => {
      try {
        const root = fs.realpathSync.native(Buffer.from(localRoot, 'latin1'), { encoding: 'buffer' });
        const group = FanGroup.open(root, () => undefined);
        const mode = group.mode;
        group.close();
        resolve(mode);
      } catch (e) {
        reject(e);
      }
    });
  }

  static async #hello(sock: net.Socket, files: SupervisorFiles): Promise<HsmClient> {
    const client = new HsmClient(sock, files);
    const timer = setTimeout(() => {
      client.#fail(new LazysyncError('io', `the placeholder supervisor does not answer; see ${files.log}`));
      client.close();
    }, HELLO_TIMEOUT_MS);
    try {
      const reply = (await client.#request({ op: 'hello', pid: process.pid })) as {
        mode: HsmMode;
        supervisorPid: number;
      };
      client.#mode = reply.mode;
      client.#supervisorPid = reply.supervisorPid;
    } catch (e) {
      client.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  readonly #sock: net.Socket;
  readonly #files: SupervisorFiles;
  readonly #waiters = new Map<number, Waiter>();
  #nextRid = 1;
  #mode: HsmMode = 'open';
  #supervisorPid = 0;
  /** Accesses that came before anyone asked for them (the daemon still starting): handed over later. */
  #early: AccessEvent[] = [];
  #onAccess: (e: AccessEvent) => void = (e) => void this.#early.push(e);
  #onLost: (why: string) => void = () => undefined;
  #closing = false;
  #lost: Error | undefined;

  private constructor(sock: net.Socket, files: SupervisorFiles) {
    this.#sock = sock;
    this.#files = files;
    sock.setEncoding('utf8');
    const lines = new LineSplitter();
    sock.on('data', (chunk: string) => lines.push(chunk, (line) => this.#onLine(line)));
    sock.on('error', () => undefined); // 'close' follows
    sock.on('close', () => this.#onClose());
  }

  get mode(): HsmMode {
    return this.#mode;
  }

  /** The supervisor's pid (tests kill it by PID). */
  get supervisorPid(): number {
    return this.#supervisorPid;
  }

  /** Each access from now on, and the ones that came before (a program waits on each until it is answered). */
  onAccess(cb: (e: AccessEvent) => void): void {
    this.#onAccess = cb;
    for (const e of this.#early.splice(0)) cb(e);
  }

  /** Called when the supervisor goes away under us (then accesses fail until reconnect). */
  onLost(cb: (why: string) => void): void {
    this.#onLost = cb;
  }

  mark(abs: Buffer): Promise<void> {
    return this.#void({ op: 'mark', path: b64(abs) });
  }

  unmark(abs: Buffer): Promise<void> {
    return this.#void({ op: 'unmark', path: b64(abs) });
  }

  /** Copies the local file `from` into the placeholder of `ids[0]`, makes it ordinary, allows every id. */
  fill(ids: number[], from: Buffer, mtimeMs: number): Promise<void> {
    return this.#void({ op: 'fill', ids, from: b64(from), mtimeMs });
  }

  /** Makes the placeholder of `ids[0]` an ordinary file as it is (for an open that truncates it). */
  release(ids: number[]): Promise<void> {
    return this.#void({ op: 'release', ids });
  }

  allow(ids: number[]): Promise<void> {
    return this.#void({ op: 'allow', ids });
  }

  deny(ids: number[], errno: DenyErrno = 'EIO'): Promise<void> {
    return this.#void({ op: 'deny', ids, errno });
  }

  /** The daemon goes away: the supervisor keeps running and denies every access until one connects. */
  close(): void {
    this.#closing = true;
    this.#sock.destroy();
  }

  async #void(body: RequestBody): Promise<void> {
    await this.#request(body);
  }

  #request(body: RequestBody): Promise<ServerMessage> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    const rid = this.#nextRid++;
    return new Promise((resolve, reject) => {
      this.#waiters.set(rid, { resolve, reject });
      this.#sock.write(encode({ ...body, rid } as Parameters<typeof encode>[0]));
    });
  }

  #onLine(line: string): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(line) as ServerMessage;
    } catch {
      return;
    }
    if ('ev' in msg) {
      if (msg.ev === 'refused') {
        this.#fail(
          new LazysyncError(
            'locked',
            `placeholder supervisor of ${this.#files.root.toString('latin1')}: ${msg.message}`,
          ),
        );
        this.#sock.destroy();
        return;
      }
      this.#onAccess({
        id: msg.id,
        path: unb64(msg.path),
        ino: msg.ino,
        pid: msg.pid,
        exe: msg.exe,
        comm: msg.comm,
        truncating: msg.truncating,
        writing: msg.writing,
        ...(msg.range === undefined ? {} : { range: msg.range }),
      });
      return;
    }
    const waiter = this.#waiters.get(msg.rid);
    if (waiter === undefined) return;
    this.#waiters.delete(msg.rid);
    if (msg.ok) waiter.resolve(msg);
    else waiter.reject(Object.assign(new LazysyncError('io', msg.message), { errnoCode: msg.code }));
  }

  #fail(e: Error): void {
    this.#lost ??= e;
    for (const w of this.#waiters.values()) w.reject(this.#lost);
    this.#waiters.clear();
  }

  #onClose(): void {
    const why = this.#closing ? 'closed' : 'the placeholder supervisor went away';
    this.#fail(new LazysyncError('io', why));
    if (!this.#closing) this.#onLost(why);
  }
}

function tryConnect(sockPath: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(sockPath);
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', () => resolve(undefined));
  });
}

function startSupervisor(files: SupervisorFiles, dir: string): ReturnType<typeof spawn> {
  const log = fs.openSync(files.log, 'a', 0o600);
  try {
    const args = [SUPERVISOR_MAIN, commandMarker(files.key), files.root.toString('hex'), dir];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], cwd: '/' });
    child.on('error', () => undefined);
    child.unref();
    return child;
  } finally {
    fs.closeSync(log);
  }
}

function reasonFromLog(files: SupervisorFiles): string {
  try {
    const lines = fs.readFileSync(files.log, 'utf8').split('\n');
    for (const line of lines.reverse()) {
      const at = line.indexOf(UNAVAILABLE_PREFIX);
      if (at >= 0) return line.slice(at + UNAVAILABLE_PREFIX.length);
    }
  } catch (e) {
    return `the placeholder supervisor could not start (${messageOf(e)})`;
  }
  return `the placeholder supervisor could not start; see ${files.log}`;
}

/** Stops the supervisor of `localRoot` if one runs (SIGTERM by its pid file, waits for exit). */
export async function stopSupervisor(
  localRoot: string,
  opts: HsmOptions & { timeoutMs?: number } = {},
): Promise<boolean> {
  const files = supervisorFiles(localRoot, runtimeDir(opts.runtimeDir));
  const pid = livePid(files);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (fs.existsSync(`/proc/${pid}`) && livePid(files) === pid) {
    if (Date.now() > deadline)
      throw new LazysyncError('io', `the placeholder supervisor (pid ${pid}) did not stop`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
