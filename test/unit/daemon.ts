// Test helpers for the daemon: an in-memory stand-in for the pair runner (our own component; the real one
// is tested end to end) and a small HTTP client for the control socket.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PairConfig } from '../../src/config.js';
import { display } from '../../src/core/paths.js';
import { LazysyncError } from '../../src/errors.js';
import type { RetentionRule } from '../../src/core/retention.js';
import type { PruneReport } from '../../src/engine/prune.js';
import type {
  ConflictListing,
  DeletedListing,
  PairEvent,
  PairRunnerApi,
  PairState,
  PairStatus,
  RestoreResult,
  VersionListing,
} from '../../src/engine/runner-api.js';
import { statusBeforeAnyPass } from '../../src/engine/runner-api.js';

/** Behaviour switches for one stand-in, set before the daemon creates it. */
export interface StandInScript {
  /** start() throws this. */
  failStart?: Error;
  /** Paths (binary, relative) whose free() is refused as edited. */
  edited?: Set<string>;
  /** start() takes this long, as a pair opening on a slow mount. */
  startDelayMs?: number;
  /** stop() waits this long, as a runner finishing its action in flight. */
  stopDelayMs?: number;
}

/** Records every call; answers in the shapes of PairRunnerApi, paths shown with display() as the runner does. */
export class StandInRunner extends EventEmitter implements PairRunnerApi {
  readonly calls: unknown[][] = [];
  state: PairState = 'idle';
  level = 'info';
  started = false;
  stopped = false;

  constructor(
    readonly name: string,
    readonly cfg: PairConfig,
    private readonly script: StandInScript = {},
  ) {
    super();
  }

  async start(): Promise<void> {
    this.calls.push(['start']);
    if (this.script.startDelayMs !== undefined) {
      await new Promise((r) => setTimeout(r, this.script.startDelayMs));
    }
    if (this.script.failStart !== undefined) throw this.script.failStart;
    this.started = true;
  }

  async stop(): Promise<void> {
    this.calls.push(['stop']);
    if (this.script.stopDelayMs !== undefined) {
      await new Promise((r) => setTimeout(r, this.script.stopDelayMs));
    }
    this.stopped = true;
  }

  pause(): void {
    this.calls.push(['pause']);
    this.state = 'paused';
  }

  resume(confirmDeletes: boolean): void {
    this.calls.push(['resume', confirmDeletes]);
    this.state = 'idle';
  }

  rescan(): void {
    this.calls.push(['rescan']);
  }

  setBwlimit(rate: number | undefined): void {
    this.calls.push(['setBwlimit', String(rate)]);
  }

  setLogLevel(level: string): void {
    this.calls.push(['setLogLevel', level]);
    this.level = level;
  }

  status(): PairStatus {
    return statusBeforeAnyPass(this.name, this.cfg, this.state, null);
  }

  async pin(paths: string[]): Promise<{ path: string; files: number }[]> {
    this.calls.push(['pin', paths]);
    return paths.map((p) => ({ path: display(p), files: 1 }));
  }

  async unpin(paths: string[]): Promise<{ path: string }[]> {
    this.calls.push(['unpin', paths]);
    return paths.map((p) => ({ path: display(p) }));
  }

  async free(
    paths: string[],
  ): Promise<{ freed: { path: string }[]; refused: { path: string; reason: string }[] }> {
    this.calls.push(['free', paths]);
    const edited = this.script.edited ?? new Set<string>();
    return {
      freed: paths.filter((p) => !edited.has(p)).map((p) => ({ path: display(p) })),
      refused: paths
        .filter((p) => edited.has(p))
        .map((p) => ({ path: display(p), reason: 'edited since it was downloaded' })),
    };
  }

  async versions(path: string): Promise<VersionListing[]> {
    this.calls.push(['versions', path]);
    return [
      {
        side: 'local',
        stamp: '20260101-120000',
        version: '20260101-120000',
        size: 3,
        kind: 'file',
        file: '/v/a~20260101-120000',
      },
    ];
  }

  async restore(path: string, at?: string): Promise<RestoreResult> {
    this.calls.push(['restore', path, at]);
    if (at === '19990101-000000')
      throw new LazysyncError('usage', `${display(path)} has no version made at or after ${at}`);
    const stamp = at ?? '20260101-120000';
    return { side: 'remote', stamp: stamp.slice(0, 15), version: stamp };
  }

  async deleted(path: string): Promise<DeletedListing[]> {
    this.calls.push(['deleted', path]);
    return [{ path: 'gone.txt', kind: 'file', version: '20260101-120000', side: 'local', size: 3, files: 1 }];
  }

  async prune(dryRun: boolean, rule?: RetentionRule): Promise<PruneReport> {
    this.calls.push(['prune', dryRun, rule]);
    return {
      dryRun,
      rule: 'older than 30d',
      removed: { local: { count: 1, bytes: 3 }, remote: { count: 0, bytes: 0 } },
      versions: [],
      forgotten: 0,
    };
  }

  async conflicts(): Promise<ConflictListing[]> {
    this.calls.push(['conflicts']);
    return [{ path: 'a.txt', copy: 'a.conflict-20260101-120000.txt', copyMtime: null, originalMtime: null }];
  }

  send(e: PairEvent): void {
    this.emit('event', e);
  }
}

/** A stand-in factory for `Daemon.start`, keeping every runner it made (by name, latest last). */
export function standIns(scripts: Record<string, StandInScript> = {}): {
  create: (name: string, cfg: PairConfig) => StandInRunner;
  made: StandInRunner[];
  get: (name: string) => StandInRunner;
} {
  const made: StandInRunner[] = [];
  return {
    made,
    create: (name, cfg) => {
      const r = new StandInRunner(name, cfg, scripts[name]);
      made.push(r);
      return r;
    },
    get: (name) => {
      const r = made.filter((x) => x.name === name).pop();
      if (r === undefined) throw new Error(`no stand-in named ${name}`);
      return r;
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** One request on the control socket; `body` is sent as JSON unless it is a string (sent as is). */
export function request(socketPath: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(typeof body === 'string' ? body : JSON.stringify(body));
    else req.end();
  });
}

/** A fresh temp folder with `remote/` and `local/` pair folders for each name, and a socket path inside. */
export function tempPairs(...names: string[]): {
  dir: string;
  socket: string;
  remote: (n: string) => string;
  local: (n: string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'lazysync-daemon-'));
  for (const n of names) {
    mkdirSync(join(dir, 'remote', n), { recursive: true });
    mkdirSync(join(dir, 'local', n), { recursive: true });
  }
  return {
    dir,
    socket: join(dir, 'run', 'daemon.sock'),
    remote: (n) => join(dir, 'remote', n),
    local: (n) => join(dir, 'local', n),
  };
}
