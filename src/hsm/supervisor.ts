// The supervisor of one local folder's file placeholders: it owns the fanotify group (so the marks live as
// long as it does), forwards each access to a placeholder to the connected daemon, and answers "EIO"
// while no daemon is connected: a program never reads a placeholder's empty blocks as its content.
import fs from 'node:fs';
import net from 'node:net';
import { messageOf } from '../errors.js';
import { PERMISSION_EVENTS, type DenyErrno, type FanEvent } from './events.js';
import { emptyFile, fillFromFile } from './fill.js';
import { FanGroup } from './group.js';
import { describeCaller } from './proc.js';
import {
  LineSplitter,
  b64,
  encode,
  parseRequest,
  unb64,
  type Request,
  type ServerMessage,
} from './protocol.js';
import { PLACEHOLDER_XATTR } from '../fsops/placeholder-xattr.js';
import { nativeAddon } from '../native-addon.js';

interface Pending {
  id: number;
  fd: number;
  answered: boolean;
  /** Fills and releases working through this fd: it is closed when the last one ends. */
  users: number;
}

interface Daemon {
  sock: net.Socket;
  /** Known after hello: its own accesses are denied at once. */
  pid: number | undefined;
}

export interface SupervisorOptions {
  /** The local folder (bytes). */
  root: Buffer;
  socketPath: string;
  log: (line: string) => void;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #group: FanGroup;
  readonly #pending = new Map<number, Pending>();
  #server: net.Server | undefined;
  #daemon: Daemon | undefined;
  #nextId = 1;

  /** Opens the fanotify group; throws HsmUnavailable when the kernel or the folder's filesystem cannot. */
  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#group = FanGroup.open(opts.root, (evs) => this.#onEvents(evs));
  }

  get mode(): string {
    return this.#group.mode;
  }

  /** Starts listening on the socket (a stale one is replaced: the caller holds the pid file). */
  async listen(): Promise<void> {
    fs.rmSync(this.#opts.socketPath, { force: true });
    const server = net.createServer((sock) => this.#onConnection(sock));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.#opts.socketPath, 0o600);
  }

  /** Denies everything pending, stops listening and closes the group (which drops every mark). */
  close(): void {
    this.#denyAll();
    this.#daemon?.sock.destroy();
    this.#daemon = undefined;
    this.#server?.close();
    fs.rmSync(this.#opts.socketPath, { force: true });
    this.#group.close();
  }

  #onEvents(evs: FanEvent[]): void {
    for (const ev of evs) {
      try {
        this.#onEvent(ev);
      } catch (e) {
        // An event must never stay unanswered: whatever failed before it was answered or made pending
        // (the only steps that throw), the caller gets EIO.
        this.#opts.log(`event of pid ${ev.pid}: ${messageOf(e)}`);
        if (ev.fd >= 0) this.#answerRaw(ev.fd, 'EIO');
      }
    }
  }

  #onEvent(ev: FanEvent): void {
    if (ev.fd < 0) {
      this.#opts.log('fanotify queue overflowed: events were lost');
      return;
    }
    if ((ev.mask & PERMISSION_EVENTS) === 0) return this.#close(ev.fd); // nothing to answer
    const caller = describeCaller(ev.pid);
    // Our own fill's ftruncate on the event fd raises an event: allow it, or the fill waits on itself.
    if (caller.tgid === process.pid) return this.#answerRaw(ev.fd, 'allow');
    // A file that lost its marker was filled or released while this event queued: it is ordinary now.
    if (nativeAddon()!.fgetXattr(ev.fd, PLACEHOLDER_XATTR) === null) return this.#answerRaw(ev.fd, 'allow');
    const daemon = this.#daemon;
    if (daemon?.pid === undefined || caller.tgid === daemon.pid) return this.#answerRaw(ev.fd, 'EIO');
    const path = fs.readlinkSync(`/proc/self/fd/${ev.fd}`, { encoding: 'buffer' });
    const ino = fs.fstatSync(ev.fd).ino;
    const id = this.#nextId++;
    this.#send(daemon.sock, {
      ev: 'access',
      id,
      path: b64(path),
      ino,
      pid: ev.pid,
      exe: caller.exe,
      comm: caller.comm,
      mask: ev.mask,
      truncating: caller.truncating,
      writing: caller.writing,
      ...(ev.range === undefined ? {} : { range: ev.range }),
    });
    // Pending only once sent: if anything above threw, #onEvents answers the event itself.
    this.#pending.set(id, { id, fd: ev.fd, answered: false, users: 0 });
  }

  /** Answers an event nobody else knows about, and closes its fd. Never throws: the next events wait. */
  #answerRaw(fd: number, answer: 'allow' | DenyErrno): void {
    try {
      if (answer === 'allow') this.#group.allow(fd);
      else this.#group.deny(fd, answer);
    } catch (e) {
      this.#opts.log(`answer on fd ${fd}: ${messageOf(e)}`);
    }
    this.#close(fd);
  }

  #close(fd: number): void {
    try {
      fs.closeSync(fd);
    } catch (e) {
      this.#opts.log(`close of fd ${fd}: ${messageOf(e)}`);
    }
  }

  /** Answers a pending event once; its fd is closed as soon as no fill or release uses it. */
  #answer(p: Pending, answer: 'allow' | DenyErrno): void {
    if (p.answered) return;
    p.answered = true;
    this.#pending.delete(p.id);
    try {
      if (answer === 'allow') this.#group.allow(p.fd);
      else this.#group.deny(p.fd, answer);
    } catch (e) {
      this.#opts.log(`answer to event ${p.id}: ${messageOf(e)}`);
    }
    if (p.users === 0) this.#close(p.fd);
  }

  #denyAll(): void {
    for (const p of [...this.#pending.values()]) this.#answer(p, 'EIO');
  }

  #onConnection(sock: net.Socket): void {
    if (this.#daemon !== undefined) {
      const pid = this.#daemon.pid === undefined ? '' : ` (pid ${this.#daemon.pid})`;
      sock.end(encode({ ev: 'refused', message: `another daemon is connected${pid}` }));
      return;
    }
    const daemon: Daemon = { sock, pid: undefined };
    this.#daemon = daemon;
    sock.setEncoding('utf8');
    const lines = new LineSplitter();
    sock.on('data', (chunk: string) => lines.push(chunk, (line) => this.#onLine(daemon, line)));
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (this.#daemon !== daemon) return;
      this.#daemon = undefined;
      this.#opts.log(
        `daemon ${daemon.pid ?? '?'} disconnected: denying ${this.#pending.size} pending accesses`,
      );
      this.#denyAll();
    });
  }

  #send(sock: net.Socket, msg: ServerMessage): void {
    if (!sock.destroyed) sock.write(encode(msg));
  }

  #onLine(daemon: Daemon, line: string): void {
    const req = parseRequest(line);
    if ('error' in req) {
      this.#send(daemon.sock, { rid: req.rid, ok: false, code: 'usage', message: req.error });
      return;
    }
    if (req.op !== 'hello' && daemon.pid === undefined) {
      this.#send(daemon.sock, { rid: req.rid, ok: false, code: 'usage', message: 'hello first' });
      return;
    }
    this.#handle(daemon, req).then(
      (extra) => this.#send(daemon.sock, { rid: req.rid, ok: true, ...extra }),
      (e: unknown) => {
        const code = (e as { code?: unknown }).code;
        this.#send(daemon.sock, {
          rid: req.rid,
          ok: false,
          code: typeof code === 'string' ? code : 'io',
          message: messageOf(e),
        });
      },
    );
  }

  async #handle(daemon: Daemon, req: Request): Promise<object> {
    switch (req.op) {
      case 'hello':
        daemon.pid = req.pid;
        this.#opts.log(`daemon ${req.pid} connected`);
        return { mode: this.#group.mode, supervisorPid: process.pid };
      case 'mark':
        this.#group.mark(unb64(req.path));
        return {};
      case 'unmark':
        this.#group.unmark(unb64(req.path));
        return {};
      case 'allow':
      case 'deny': {
        const found = this.#take(req.ids);
        for (const p of found) this.#answer(p, req.op === 'allow' ? 'allow' : req.errno);
        return {};
      }
      case 'fill':
      case 'release':
        return this.#fillOrRelease(req);
    }
  }

  /** The pending events of `ids`; throws (after nothing) if one is unknown or already answered. */
  #take(ids: number[]): Pending[] {
    const found = ids.map((id) => this.#pending.get(id));
    const missing = ids.filter((_, i) => found[i] === undefined);
    if (missing.length > 0) {
      throw Object.assign(new Error(`no pending event ${missing.join(', ')} (answered or denied already)`), {
        code: 'ENOENT',
      });
    }
    return found as Pending[];
  }

  /** Fills (or, for release, empties) the file of the first event, unmarks it, then allows them all. */
  async #fillOrRelease(req: Extract<Request, { op: 'fill' | 'release' }>): Promise<object> {
    const events = this.#take(req.ids);
    const first = events[0]!; // ids is never empty (parseRequest)
    if (first.users > 0)
      throw Object.assign(new Error(`event ${first.id} is being filled already`), { code: 'EBUSY' });
    first.users++;
    try {
      if (req.op === 'fill') await fillFromFile(first.fd, unb64(req.from), req.mtimeMs);
      else await emptyFile(first.fd);
      nativeAddon()!.fremoveXattr(first.fd, PLACEHOLDER_XATTR);
      this.#group.unmark(first.fd);
    } catch (e) {
      for (const p of events) this.#answer(p, 'EIO');
      throw e;
    } finally {
      first.users--;
      if (first.answered && first.users === 0) this.#close(first.fd);
    }
    for (const p of events) this.#answer(p, 'allow');
    return {};
  }
}
