// What a running pair offers the control API, and the shapes it answers with (docs/api.md's PairStatus and events).
import type { PairConfig } from '../config.js';
import type { RetentionRule } from '../core/retention.js';
import type { MountProbe } from '../fsops/probe.js';
import type { PruneReport } from './prune.js';
import { statusOptions } from '../pair-options.js';

export type PairState =
  'idle' | 'scanning' | 'syncing' | 'paused' | 'remote-unavailable' | 'waiting-confirm' | 'error';

export interface Transfer {
  path: string;
  direction: 'download' | 'upload';
  bytes: number;
  total: number;
  /** Bytes per second since the transfer started. */
  rate: number;
  etaSeconds: number | null;
}

export interface PairStatus {
  name: string;
  remote: string;
  local: string;
  lazy: boolean;
  state: PairState;
  reason: string | null;
  lastPass: { finishedAt: string; durationMs: number; applied: number; problems: number } | null;
  counts: {
    placeholders: number;
    localCopies: number;
    localCopyBytes: number;
    pinned: number;
    conflicts: number;
    problems: number;
  };
  transfers: Transfer[];
  options: {
    interval: number;
    maxDelete: number;
    accessDetect: string;
    placeholders: string;
    pin: string[];
    ignore: string[];
    maxSize: number | null;
    cacheMax: number | null;
    bwlimit: number | null;
    versionsMaxAge: number | null;
    versionsMaxCount: number | null;
    versionsMaxTotal: number | null;
    versionsStaggered: boolean;
    versionsSkipAbove: number | null;
  };
  /** The versions this pair made and keeps, on each side (its ledger; versions made by others are not counted). */
  versions?: { local: { count: number; bytes: number }; remote: { count: number; bytes: number } };
  /** What the remote's mount can do, from its probe (at the first sync and after each remount); null before. */
  mount?: MountProbe | null;
  /** Paths left out because the remote cannot store them (each warned about once). */
  skipped?: number;
}

/** Events for live views (`GET /v1/events`); `time` is added when they are sent. */
export type PairEvent =
  | { type: 'state'; pair: string; state: PairState; reason: string | null }
  | { type: 'pass'; pair: string; applied: number; problems: number; durationMs: number }
  | {
      type: 'transfer';
      pair: string;
      path: string;
      direction: 'download' | 'upload';
      bytes: number;
      total: number;
      done: boolean;
    }
  | { type: 'conflict'; pair: string; path: string; copy: string }
  | { type: 'problem'; pair: string; path: string; message: string }
  | { type: 'hydrated'; pair: string; path: string; size: number }
  | { type: 'freed'; pair: string; path: string; size: number };

export interface VersionListing {
  side: 'local' | 'remote';
  stamp: string;
  /** The stamp, with `-N` for the N-th version of the same second: what `restore --at` takes. */
  version: string;
  size: number;
  kind: string;
  /** Absolute path of the version file. */
  file: string;
}

/** What `restore` put back: one file's version, or a folder's files. */
export type RestoreResult =
  | { side: 'local' | 'remote'; stamp: string; version: string }
  | { folder: { restored: number; files: RestoredFile[] } };

export interface RestoredFile {
  path: string;
  side: 'local' | 'remote';
  version: string;
}

/** Something deleted that has versions: a file (its newest version) or a folder (everything in it). */
export interface DeletedListing {
  path: string;
  kind: 'file' | 'folder' | 'symlink';
  /** The newest version's id (stamp, `-N` for same-second ones): about when it was deleted. */
  version: string;
  side: 'local' | 'remote' | 'both';
  /** Bytes of the newest version of each file. */
  size: number;
  /** Files with versions (1 for a file). */
  files: number;
}

export interface ConflictListing {
  path: string;
  copy: string;
  copyMtime: string | null;
  originalMtime: string | null;
}

/**
 * One pair, running: its own serial loop of passes, on-demand hydration and the operations the control
 * API asks for. A slow or unavailable remote stalls only its own runner. Paths given to operations are
 * relative to the pair's local root (binary strings).
 */
export interface PairRunnerApi {
  readonly name: string;
  /** Opens the pair (taking its lock) and starts its loop. Throws LazysyncError ('locked', 'usage'...). */
  start(): Promise<void>;
  /** Finishes the action in flight and closes the pair. */
  stop(): Promise<void>;
  pause(): void;
  resume(confirmDeletes: boolean): void;
  /** A pass now (after the one running, if any). */
  rescan(): void;
  status(): PairStatus;
  setLogLevel(level: string): void;
  /** Bytes per second for all transfers of the pair from now on; undefined = unlimited. */
  setBwlimit(rate: number | undefined): void;
  /** Pins files or folders (new files below a pinned folder are pinned too) and hydrates them now. */
  pin(paths: string[]): Promise<{ path: string; files: number }[]>;
  unpin(paths: string[]): Promise<{ path: string }[]>;
  /** Turns clean local copies back into placeholders; edited ones are refused with a reason. */
  free(paths: string[]): Promise<{ freed: { path: string }[]; refused: { path: string; reason: string }[] }>;
  versions(path: string): Promise<VersionListing[]>;
  /**
   * Restores a file's version (the newest, or the first made at or after `at`, a `YYYYMMDD-HHMMSS[-N]`
   * version key) into the local path, or a folder's files (what was deleted; with `at`, each file as it
   * was then). Current content is kept as a version first.
   */
  restore(path: string, at?: string): Promise<RestoreResult>;
  /** What was deleted at or below `path` and has versions, newest first. */
  deleted(path: string): Promise<DeletedListing[]>;
  /** Prunes versions by the pair's retention rule, or `rule` for this once. */
  prune(dryRun: boolean, rule?: RetentionRule): Promise<PruneReport>;
  conflicts(): Promise<ConflictListing[]>;
  on(event: 'event', listener: (e: PairEvent) => void): this;
}

/** The status of a pair that has made no pass yet (a pair that failed to start, a test's stand-in). */
export function statusBeforeAnyPass(
  name: string,
  cfg: PairConfig,
  state: PairState,
  reason: string | null,
): PairStatus {
  return {
    name,
    remote: cfg.remote,
    local: cfg.local,
    lazy: cfg.lazy,
    state,
    reason,
    lastPass: null,
    counts: { placeholders: 0, localCopies: 0, localCopyBytes: 0, pinned: 0, conflicts: 0, problems: 0 },
    transfers: [],
    options: statusOptions(cfg),
  };
}
