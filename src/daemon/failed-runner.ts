// A pair that could not start (e.g. another process runs its local folder): it stays listed, in state
// `error` with the reason, and refuses every operation, so the daemon's other pairs keep running.
import { EventEmitter } from 'node:events';
import type { PairConfig } from '../config.js';
import type { RetentionRule } from '../core/retention.js';
import type { PruneReport } from '../engine/prune.js';
import type {
  ConflictListing,
  DeletedListing,
  PairRunnerApi,
  PairStatus,
  RestoreResult,
  VersionListing,
} from '../engine/runner-api.js';
import { statusBeforeAnyPass } from '../engine/runner-api.js';
import { HttpError } from './http.js';

export class FailedRunner extends EventEmitter implements PairRunnerApi {
  constructor(
    readonly name: string,
    private readonly cfg: PairConfig,
    readonly reason: string,
  ) {
    super();
  }

  private refuse(): never {
    throw new HttpError(
      'conflict',
      `pair ${this.name} is not running: ${this.reason} (fix the cause and restart the daemon, or remove and add the pair)`,
    );
  }

  start(): Promise<void> {
    return Promise.reject(new Error(`pair ${this.name} failed to start: ${this.reason}`));
  }

  async stop(): Promise<void> {}

  pause(): void {
    this.refuse();
  }

  resume(_confirmDeletes: boolean): void {
    this.refuse();
  }

  rescan(): void {
    this.refuse();
  }

  setLogLevel(_level: string): void {}

  setBwlimit(_rate: number | undefined): void {}

  status(): PairStatus {
    return statusBeforeAnyPass(this.name, this.cfg, 'error', this.reason);
  }

  async pin(_paths: string[]): Promise<{ path: string; files: number }[]> {
    this.refuse();
  }

  async unpin(_paths: string[]): Promise<{ path: string }[]> {
    this.refuse();
  }

  async free(
    _paths: string[],
  ): Promise<{ freed: { path: string }[]; refused: { path: string; reason: string }[] }> {
    this.refuse();
  }

  async versions(_path: string): Promise<VersionListing[]> {
    this.refuse();
  }

  async restore(_path: string, _at?: string): Promise<RestoreResult> {
    this.refuse();
  }

  async deleted(_path: string): Promise<DeletedListing[]> {
    this.refuse();
  }

  async prune(_dryRun: boolean, _rule?: RetentionRule): Promise<PruneReport> {
    this.refuse();
  }

  /** Nothing can be read from a pair that did not open; listing every pair's conflicts skips it. */
  async conflicts(): Promise<ConflictListing[]> {
    return [];
  }
}
