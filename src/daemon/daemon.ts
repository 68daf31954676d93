// The daemon: owns the pairs' runners and the control server; pairs added and removed at run time are
// saved to the config file; SIGTERM/SIGINT or /v1/shutdown stop every runner (each finishes its action in
// flight), then the server, the socket and the pid file go.
import { createRequire } from 'node:module';
import {
  addPairToFile,
  defaultConfigPath,
  namedPairFrom,
  pairClash,
  removePairFromFile,
  type NamedPair,
} from '../config-file.js';
import type { PairConfig } from '../config.js';
import type { PairEvent, PairRunnerApi, PairStatus } from '../engine/runner-api.js';
import { LazysyncError, messageOf } from '../errors.js';
import type { Logger, LogLevel } from '../log.js';
import { FailedRunner } from './failed-runner.js';
import { HttpError } from './http.js';
import type { PairRoot } from './locate.js';
import { removePidFile, writePidFile } from './pid.js';
import { ControlServer, type AddPairRequest, type ControlTarget } from './server.js';
import { claimSocketPath, prepareSocketDir } from './socket.js';

export type CreateRunner = (name: string, cfg: PairConfig, log: Logger) => PairRunnerApi;

export interface DaemonOptions {
  socket: string;
  /** Where added and removed pairs are saved (default: `defaultConfigPath()`); used only if `persist`. */
  configPath?: string;
  pairs: NamedPair[];
  log: Logger;
  /** False for `lazysync run`: there is no config file, so adding and removing pairs are refused. */
  persist: boolean;
  createRunner: CreateRunner;
  /** Install SIGTERM/SIGINT handlers that shut down (default true; tests turn it off). */
  handleSignals?: boolean;
  /** Milliseconds between keepalive comments on event streams (default 15 s). */
  keepaliveMs?: number;
}

interface Entry {
  runner: PairRunnerApi;
  cfg: PairConfig;
}

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

export class Daemon implements ControlTarget {
  readonly version = pkg.version;
  readonly pid = process.pid;
  readonly socket: string;
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(e: PairEvent) => void>();
  private readonly server: ControlServer;
  /** Adds and removes, one at a time, so two requests cannot claim the same name or folder. */
  private ops: Promise<unknown> = Promise.resolve();
  private started: Promise<{ name: string; error: Error }[]> = Promise.resolve([]);
  private stopping: Promise<void> | undefined;
  private readonly stopped: Promise<void>;
  private markStopped: () => void = () => undefined;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];

  private constructor(private readonly opts: DaemonOptions) {
    this.socket = opts.socket;
    this.log = opts.log;
    this.server = new ControlServer(this, opts.log, { keepaliveMs: opts.keepaliveMs });
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
  }

  /**
   * Serves the control API on `opts.socket` and starts every pair in the background (`whenStarted`), so a
   * pair that is slow to open (a hung mount, a long journal recovery) stalls neither the API nor the
   * others. Refuses (LazysyncError 'locked') if another daemon answers on that socket, before any pair is
   * touched. A pair that fails to start is logged and listed in state `error` with the reason.
   */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    prepareSocketDir(opts.socket);
    await claimSocketPath(opts.socket);
    const accepted: NamedPair[] = [];
    for (const p of opts.pairs) {
      const clash = pairClash(accepted, p);
      if (clash !== undefined) throw new LazysyncError('usage', clash);
      accepted.push(p);
    }
    const d = new Daemon(opts);
    for (const p of accepted) d.entries.set(p.name, { runner: d.makeRunner(p), cfg: p.cfg });
    try {
      await d.server.listen(opts.socket);
      writePidFile(opts.socket);
    } catch (e) {
      await d.server.close();
      throw e;
    }
    if (opts.handleSignals !== false) d.handleSignals();
    d.log.info(`daemon ${d.pid} listening on ${opts.socket} with ${d.entries.size} pair(s)`);
    d.started = Promise.all(accepted.map((p) => d.startInPlace(p))).then((errs) =>
      errs.flatMap((error, i) => (error === undefined ? [] : [{ name: accepted[i]?.name ?? '', error }])),
    );
    return d;
  }

  /**
   * Resolves once every pair given to `start` has started or failed to, with the failures (those pairs
   * are listed in state `error`). `lazysync run`, with its one pair, can exit with the first one.
   */
  whenStarted(): Promise<{ name: string; error: Error }[]> {
    return this.started;
  }

  // ---- ControlTarget ----

  runners(): readonly PairRunnerApi[] {
    return [...this.entries.values()].map((e) => e.runner);
  }

  runner(name: string): PairRunnerApi | undefined {
    return this.entries.get(name)?.runner;
  }

  roots(): PairRoot[] {
    return [...this.entries].map(([name, e]) => ({ name, local: e.cfg.local }));
  }

  subscribe(listener: (e: PairEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates the pair like the command line does, starts it, then saves it to the config file. */
  add(req: AddPairRequest): Promise<PairStatus> {
    return this.serially(async () => {
      this.refuseEdits();
      const options = req.options ?? {};
      const np = namedPairFrom(req.name, req.remote, req.local, options);
      const clash = pairClash(this.namedPairs(), np);
      if (clash !== undefined) throw new HttpError('conflict', clash);
      const runner = this.makeRunner(np);
      const err = await this.startOrError(runner);
      if (err !== undefined) throw err;
      try {
        addPairToFile(this.configPath(), {
          name: np.name,
          remote: np.cfg.remote,
          local: np.cfg.local,
          options,
        });
      } catch (e) {
        await runner.stop().catch(() => undefined);
        throw e;
      }
      this.entries.set(np.name, { runner, cfg: np.cfg });
      this.log.info(`added pair ${np.name}: ${np.cfg.remote} <-> ${np.cfg.local}`);
      return runner.status();
    });
  }

  /** Removes the pair from the config file, then stops it (its folders and state stay as they are). */
  remove(name: string): Promise<void> {
    return this.serially(async () => {
      this.refuseEdits();
      if (!this.entries.has(name)) throw new HttpError('not-found', `no pair named '${name}'`);
      await this.started; // stopping a runner that is still opening would leave it running
      const entry = this.entries.get(name);
      if (entry === undefined) throw new HttpError('not-found', `no pair named '${name}'`);
      if (!removePairFromFile(this.configPath(), name)) {
        this.log.warn(`pair ${name} was not in ${this.configPath()} any more; stopping it anyway`);
      }
      this.entries.delete(name);
      await entry.runner.stop();
      this.log.info(`removed pair ${name}`);
    });
  }

  /** Sets the rate limit of one pair, or of every pair. */
  setBwlimit(rate: number | undefined, pair?: string): void {
    if (pair !== undefined) {
      const entry = this.entries.get(pair);
      if (entry === undefined) throw new HttpError('not-found', `no pair named '${pair}'`);
      entry.runner.setBwlimit(rate);
      return;
    }
    for (const e of this.entries.values()) e.runner.setBwlimit(rate);
  }

  /** Sets the level of one pair's logger, or of the daemon's and every pair's. */
  setLogLevel(level: LogLevel, pair?: string): void {
    if (pair !== undefined) {
      const entry = this.entries.get(pair);
      if (entry === undefined) throw new HttpError('not-found', `no pair named '${pair}'`);
      entry.runner.setLogLevel(level);
      return;
    }
    this.log.level = level;
    for (const e of this.entries.values()) e.runner.setLogLevel(level);
  }

  /**
   * Stops every runner (each finishes the action in flight), then the server (which removes the socket)
   * and the pid file. While runners stop, the API still answers (status shows them), so a second daemon
   * is refused until the pairs are released. Safe to call more than once.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping: finishing the actions in flight');
      this.server.endStreams();
      await this.started; // a pair still opening is stopped once it has opened
      await this.stopRunners();
      await this.server.close();
      removePidFile(this.socket);
      for (const [sig, h] of this.signalHandlers) process.off(sig, h);
      this.log.info('stopped');
      this.markStopped();
    })();
    return this.stopping;
  }

  /** Resolves once the daemon has stopped (after `shutdown`, a signal, or `POST /v1/shutdown`). */
  waitUntilStopped(): Promise<void> {
    return this.stopped;
  }

  // ---- internals ----

  private makeRunner(p: NamedPair): PairRunnerApi {
    // The prefix names the pair on the human-readable console, which hides the `pair` field.
    const log = this.log.child({ pair: p.name });
    const runner = this.opts.createRunner(p.name, p.cfg, log);
    runner.on('event', (e) => {
      if (this.entries.get(p.name)?.runner === runner) this.emit(e);
    });
    return runner;
  }

  /** Starts `runner`; on failure stops what it opened and returns the error. */
  private async startOrError(runner: PairRunnerApi): Promise<Error | undefined> {
    try {
      await runner.start();
      return undefined;
    } catch (e) {
      await runner.stop().catch(() => undefined);
      return e instanceof Error ? e : new Error(messageOf(e));
    }
  }

  /** Starts a pair already listed; if it fails, it stays listed as a FailedRunner and the error is returned. */
  private async startInPlace(p: NamedPair): Promise<Error | undefined> {
    const entry = this.entries.get(p.name);
    if (entry === undefined) return undefined;
    const err = await this.startOrError(entry.runner);
    if (err === undefined) return undefined;
    this.log.error(`pair ${p.name} did not start: ${err.message}; the other pairs keep running`);
    if (this.entries.get(p.name) === entry) {
      this.entries.set(p.name, { runner: new FailedRunner(p.name, p.cfg, err.message), cfg: p.cfg });
    }
    return err;
  }

  private emit(e: PairEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn(`event listener failed: ${messageOf(err)}`);
      }
    }
  }

  private async stopRunners(): Promise<void> {
    const all = [...this.entries.values()];
    const results = await Promise.allSettled(all.map((e) => e.runner.stop()));
    results.forEach((r, i) => {
      if (r.status === 'rejected')
        this.log.error(`pair ${all[i]?.runner.name} did not stop cleanly: ${messageOf(r.reason)}`);
    });
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    const next = this.ops.then(op, op);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private refuseEdits(): void {
    if (this.stopping !== undefined) throw new HttpError('conflict', 'the daemon is shutting down');
    if (!this.opts.persist) {
      throw new HttpError(
        'conflict',
        'this daemon runs the pair given on its command line (`lazysync run`) and has no config file; ' +
          'use `lazysync daemon` (or `lazysync start`) to add and remove pairs',
      );
    }
  }

  private configPath(): string {
    return this.opts.configPath ?? defaultConfigPath();
  }

  private namedPairs(): NamedPair[] {
    return [...this.entries].map(([name, e]) => ({ name, cfg: e.cfg }));
  }

  private handleSignals(): void {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => {
        if (this.stopping !== undefined) {
          this.log.warn(
            `${sig}: already stopping; waiting for the actions in flight (SIGKILL forces, safely)`,
          );
          return;
        }
        this.log.info(`${sig}: finishing the actions in flight, then exiting`);
        void this.shutdown();
      };
      process.on(sig, handler);
      this.signalHandlers.push([sig, handler]);
    }
  }
}
