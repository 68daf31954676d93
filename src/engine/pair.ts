// One pair's resources (roots, archive, lock, logger) and its passes: health -> scan+plan -> guard ->
// execute -> record. Passes of one pair never overlap.
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../config.js';
import { DeleteCounter, checkDeletes } from '../core/guard.js';
import { decide } from '../core/decide.js';
import { describeAction } from '../core/plan-format.js';
import { Planner } from '../core/planner.js';
import { isUnchanged, sameContent } from '../core/changes.js';
import { STATE_DIR, display, isWithin } from '../core/paths.js';
import { scopesOf } from '../core/scope.js';
import type { Action, ArchiveRecord, Policy, RelPath } from '../core/types.js';
import { LazysyncError, MOUNT_GONE_CODES, StaleViewError, hasCode, messageOf } from '../errors.js';
import { absOf, lstatEntry, lstatEntrySync, readerFor, remoteScanReader, sameEntry } from '../fsops/entry.js';
import { OWN_TEMP_PREFIX, isTempInFlight, sweepTemp, tempPrefixOf } from '../fsops/atomic.js';
import { parseProbe, probeIsStale, type MountProbe } from '../fsops/probe.js';
import { factsOf, staleViewRisk, symlinkLimit } from '../fsops/probe-facts.js';
import { summarizeProbe } from '../fsops/probe-advice.js';
import { mountIdentityOf, probeMount } from '../fsops/probe-run.js';
import { isMountPoint } from '../fsops/mounts.js';
import type { Logger } from '../log.js';
import { loadIgnore, matcherOf } from '../scan/ignore.js';
import { scanTree } from '../scan/walk.js';
import { Archive } from '../store/archive.js';
import { acquireLock } from '../store/lock.js';
import { bytesToCompare } from './compare.js';
import { Executor, type CompareProgress, type Done, type Progress } from './executor.js';
import {
  MARKER,
  META,
  remoteMountAtFirstSync,
  remoteUnavailableReason,
  type RemoteMemory,
} from './health.js';
import { archiveSubtree, mergeSorted } from './merge.js';
import { PathScheduler } from './scheduler.js';
import { TokenBucket } from './rate-limit.js';

/** Archive meta key of the paths pinned with `lazysync pin` (a JSON array of binary strings). */
const META_PINS = 'pins';
/**
 * Archive meta key of the temp-name prefixes of this pair's recent processes (a JSON array): a temp file on
 * the remote with one of them is a leftover of ours, one with another may be another machine's upload.
 */
const META_TEMP_PREFIXES = 'temp-prefixes';
/** How many processes' temp prefixes are remembered; older leftovers are swept by age. */
const KEPT_TEMP_PREFIXES = 32;
/** Archive meta key of the mount probe's result (JSON of a MountProbe). */
const META_PROBE = 'remote.probe';
/** A path failing again and again is retried at most this far apart (see backoffMs). */
const BACKOFF_MAX_MS = 30 * 60_000;
/** Directories listed at once while scanning: on a network mount each listing is a round trip. */
const SCAN_CONCURRENCY = 32;
const PLAN_BATCH = 500;
/** A temp file on the remote older than this is left over from a stop; a younger one may be an upload. */
const STRAY_REMOTE_TEMP_MS = 3600_000;
/**
 * An open of a remote file we made is matched with the kernel's open event within this time; an event that
 * never comes (a folder not watched) is forgotten after it.
 */
const OWN_OPEN_WINDOW_MS = 5000;
/**
 * Actions applied at once. A small file costs about ten round trips (create, write, fsync, close, utimes,
 * checks, rename): overlapping them is what makes many small files fast on a slow link.
 */
const APPLY_CONCURRENCY = 16;

export interface PassOptions {
  dryRun: boolean;
  confirmDeletes: boolean;
  /** Receives each line of a dry run's plan. */
  print?: (line: string) => void;
  /** Checked between actions: stop early (the pass is finished by the next one). */
  stopping?: () => boolean;
  /** Told 'scanning' once the remote's health check has passed, 'syncing' when applying the plan starts. */
  onPhase?: (phase: 'scanning' | 'syncing') => void;
  /**
   * Only these paths changed (kernel events on the local folder): scan just their subtrees on both sides.
   * Ignored before the first sync. Anything else changed meanwhile waits for the next whole pass.
   */
  paths?: readonly RelPath[];
  /**
   * A path that failed in earlier passes is retried only once its back-off has passed: this long after its
   * first failure, doubled at each one after (the daemon gives its pass interval). Without it every pass
   * retries every failed path (a `sync` the user started).
   */
  backoffMs?: number;
  /**
   * Told how many bytes the plan compares on both sides (before applying starts; 0 when none), then of each
   * comparison's progress (a first sync's files that agree in size and mtime second, for one).
   */
  compares?: { planned: (bytes: number) => void; progress: (p: CompareProgress) => void };
}

/** What a pair reports as it goes, for status views. */
export type PairNotice =
  | { type: 'conflict'; path: string; copy: string }
  | { type: 'problem'; path: string; message: string }
  | { type: 'progress'; progress: Progress };

export type PassOutcome =
  | { status: 'done'; counts: Record<Done, number>; conflicts: string[]; problems: number; planned: number }
  /** `applied`: what the pass had done before the remote went (absent: nothing). */
  | { status: 'remote-unavailable'; reason: string; applied?: Record<Done, number> }
  | { status: 'waiting-confirm'; message: string };

function binary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function emptyCounts(): Record<Done, number> {
  return {
    downloaded: 0,
    placeholders: 0,
    uploaded: 0,
    created: 0,
    removed: 0,
    versioned: 0,
    conflicts: 0,
    recorded: 0,
  };
}

export class Pair {
  readonly localRoot: string;
  readonly remoteRoot: string;
  readonly policy: Policy;
  readonly isPinned: (path: RelPath) => boolean;
  /** --bwlimit: one bucket for every transfer of the pair. */
  readonly bandwidth: TokenBucket;
  /** Every change to the roots (pass actions, hydrations, evictions) runs here: unrelated paths at once. */
  readonly scheduler = new PathScheduler(APPLY_CONCURRENCY);
  /** Paths hydrated or freed since the current pass started planning: its actions for them are stale. */
  readonly touched = new Set<RelPath>();
  /** Local paths we are changing right now (a count: the same path can be in two operations). */
  private readonly ownWrites = new Map<RelPath, number>();
  /** Paths with a kernel event taken for ours while we were changing them: checked again when we are done. */
  private readonly eventsWhileOwn = new Set<RelPath>();
  /** Our own opens of remote files whose kernel open events have not come yet: path -> when each was made. */
  private readonly ownOpens = new Map<RelPath, number[]>();
  /** Temp-name prefixes of this pair's recent processes, this one's last (see META_TEMP_PREFIXES). */
  private tempPrefixes: string[] = [];
  /** Told before each placeholder is made (the on-demand service watches its folder). */
  onPlaceholder: ((path: RelPath) => void) | undefined;
  /** Told of conflicts, problems and transfer progress. */
  onNotice: ((n: PairNotice) => void) | undefined;
  /** Told of local paths changed by someone else while lazysync was changing them (their events were missed). */
  onLocalChange: ((paths: RelPath[]) => void) | undefined;
  /** Paths pinned with `lazysync pin` (files, or folders and everything below), kept in the archive. */
  private pinnedPaths: RelPath[] = [];
  private executorInstance: Executor | undefined;
  private counts = emptyCounts();
  private conflicts: string[] = [];
  private releaseLock: (() => void) | undefined;
  /** What the remote's mount can do, from the last probe (kept in the archive); undefined before one. */
  private probe: MountProbe | undefined;
  /** The remote was unavailable: probe again once it is back (it may be another mount now). */
  private probeDue = false;
  /** The current pass has started applying its plan: `counts` say what it did. */
  private applying = false;
  /** Told of the current pass's byte comparisons (PassOptions.compares). */
  private compareProgress: ((p: CompareProgress) => void) | undefined;
  /** The current pass's wait for the remote's caches (RemoteFacts.settleMs), shared by its steps. */
  private settle: { until: number; stopping?: () => boolean; wait?: Promise<void> } = { until: 0 };

  private constructor(
    readonly cfg: PairConfig,
    readonly log: Logger,
    /** Undefined only for a dry run before the first sync: nothing may be created then. */
    private readonly archiveInstance: Archive | undefined,
  ) {
    this.localRoot = binary(cfg.local);
    this.remoteRoot = binary(cfg.remote);
    this.bandwidth = new TokenBucket(cfg.bwlimit);
    const pins = matcherOf(cfg.pin.map(binary));
    this.isPinned = (path) => (cfg.pin.length > 0 && pins(path, false)) || this.pinnedByPath(path);
    const fits = (size: number): boolean => cfg.maxSize === undefined || size <= cfg.maxSize;
    this.policy = {
      lazy: cfg.lazy,
      wantLocalCopy: (path, remote) => this.isPinned(path) || (!cfg.lazy && fits(remote.size)),
    };
  }

  /** The archive; only a dry run before the first sync has none. */
  get archive(): Archive {
    if (this.archiveInstance === undefined) throw new Error('no archive in a first dry run');
    return this.archiveInstance;
  }

  get executor(): Executor {
    this.executorInstance ??= new Executor({
      localRoot: this.localRoot,
      remoteRoot: this.remoteRoot,
      archive: this.archive,
      policy: this.policy,
      log: this.log,
      now: Date.now,
      onDone: (what, p, detail) => {
        this.counts[what]++;
        if (what === 'conflicts') {
          this.conflicts.push(`${display(p)} (other version: ${detail ?? '?'})`);
          this.onNotice?.({ type: 'conflict', path: display(p), copy: detail ?? '' });
        }
        if (what !== 'recorded' && what !== 'versioned')
          this.log.debug({ path: display(p), what, detail }, what);
      },
      onLocalWrite: (p) => {
        const n = this.ownWrites.get(p) ?? 0;
        this.ownWrites.set(p, n + 1);
        const before = n === 0 ? lstatEntrySync(this.localRoot, p, this.remoteRoot) : undefined;
        return () => {
          const left = (this.ownWrites.get(p) ?? 1) - 1;
          if (left > 0) {
            this.ownWrites.set(p, left);
            return;
          }
          this.ownWrites.delete(p);
          // Kernel events on `p` were taken for ours while we worked on it. If a program changed it meanwhile
          // (it is neither as it was before nor as the archive now records it), they were not: sync it. An
          // event that changed nothing we compare (a chmod to the same mode) counts too when `p` differs from
          // the archive: our attempt may have failed on that difference, and the event may be all that
          // announces it (an edit made through a hard link outside the local folder makes none there).
          const eventSeen = this.eventsWhileOwn.delete(p);
          const now = lstatEntrySync(this.localRoot, p, this.remoteRoot);
          if ((eventSeen || !sameEntry(now, before, 'local')) && !this.isOwnLocalWrite(p))
            this.onLocalChange?.([p]);
        };
      },
      onRemoteOpen: (p) => {
        if (this.ownOpens.size >= 1024) this.forgetOldOpens();
        this.ownOpens.set(p, [...(this.ownOpens.get(p) ?? []), Date.now()]);
      },
      beforePlaceholder: (p) => this.onPlaceholder?.(p),
      onProgress: (progress) => this.onNotice?.({ type: 'progress', progress }),
      onCompare: (p) => this.compareProgress?.(p),
      throttle: (n) => this.bandwidth.take(n),
      remoteSettled: () => (this.settle.wait ??= this.waitSettled()),
      remoteFacts: () => factsOf(this.probe),
      symlinkLimit: (target) => symlinkLimit(this.probe, target),
    });
    return this.executorInstance;
  }

  private pinnedByPath(path: RelPath): boolean {
    return this.pinnedPaths.some((p) => isWithin(path, p));
  }

  /** The paths pinned with `lazysync pin`. */
  get pins(): readonly RelPath[] {
    return this.pinnedPaths;
  }

  /** Replaces the pinned paths and saves them in the archive. */
  setPins(paths: RelPath[]): void {
    this.pinnedPaths = [...new Set(paths)];
    this.archive.setMeta(META_PINS, JSON.stringify(this.pinnedPaths));
  }

  /**
   * Is a kernel event on `path` in the local root our own doing? Yes while we are changing it (the event is
   * remembered and the path checked again when we are done); after that, only if the path is exactly as
   * the archive recorded it (then there is nothing to sync anyway).
   */
  isOwnLocalWrite(path: RelPath): boolean {
    if ((this.ownWrites.get(path) ?? 0) > 0) {
      this.eventsWhileOwn.add(path);
      return true;
    }
    const rec = this.archiveInstance?.get(path);
    const now = lstatEntrySync(this.localRoot, path, this.remoteRoot);
    if (rec === undefined) return now === undefined;
    return now !== undefined && isUnchanged(now, rec.local, 'local');
  }

  /**
   * Is this open event of R/path one of our own opens (a download, a check past the caches)? Each of ours
   * is matched with one event, so a program's open right after ours is still seen as the program's.
   */
  claimOwnRemoteOpen(path: RelPath): boolean {
    const since = Date.now() - OWN_OPEN_WINDOW_MS;
    const times = (this.ownOpens.get(path) ?? []).filter((t) => t >= since);
    const claimed = times.shift() !== undefined;
    if (times.length > 0) this.ownOpens.set(path, times);
    else this.ownOpens.delete(path);
    return claimed;
  }

  /** Drops our opens whose events did not come in time: they say nothing any more. */
  private forgetOldOpens(): void {
    const since = Date.now() - OWN_OPEN_WINDOW_MS;
    for (const [p, times] of this.ownOpens) if (times.every((t) => t < since)) this.ownOpens.delete(p);
  }

  /** Opens the pair's state, taking its lock. A dry run creates nothing (no folder, no database, no lock). */
  static async open(cfg: PairConfig, log: Logger, dryRun: boolean): Promise<Pair> {
    const stateDir = path.join(cfg.local, STATE_DIR);
    if (dryRun && !existsSync(path.join(stateDir, 'state.db'))) return new Pair(cfg, log, undefined);
    if (!dryRun)
      await fs.mkdir(cfg.local, { recursive: false }).catch((e: unknown) => {
        if (!hasCode(e, 'EEXIST')) throw e;
      });
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
    const lock = dryRun ? undefined : acquireLock(stateDir);
    let archive: Archive;
    try {
      archive = Archive.open(stateDir);
    } catch (e) {
      lock?.release();
      throw e;
    }
    const pair = new Pair(cfg, log, archive);
    pair.releaseLock = lock?.release;
    const pins = archive.getMeta(META_PINS);
    if (pins !== undefined) pair.pinnedPaths = JSON.parse(pins) as RelPath[];
    pair.tempPrefixes = pair.ourTempPrefixes();
    pair.useProbe(parseProbe(archive.getMeta(META_PROBE)));
    try {
      const knownRemote = archive.getMeta(META.remoteRoot);
      if (knownRemote !== undefined && knownRemote !== cfg.remote) {
        throw new LazysyncError(
          'usage',
          `${cfg.local} is paired with the remote ${knownRemote}, not ${cfg.remote}; use another local folder`,
        );
      }
      if (!dryRun) await pair.recoverJournal();
    } catch (e) {
      pair.close();
      throw e;
    }
    return pair;
  }

  close(): void {
    this.archiveInstance?.close();
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  private remoteMemory(): RemoteMemory {
    const mount = this.archiveInstance?.getMeta(META.mount);
    return {
      marker: this.archiveInstance?.getMeta(META.marker) === '1',
      ...(mount !== undefined ? { mount: JSON.parse(mount) as { mountPoint: string; fsType: string } } : {}),
    };
  }

  /**
   * Finishes or rolls back what a killed process left in flight: temp files are removed, and a copy that
   * had already landed (both sides now hold the same content) is recorded so it is not copied again.
   */
  private async recoverJournal(): Promise<void> {
    const archive = this.archive;
    for (const j of archive.journalList()) {
      if (j.temp !== undefined) await sweepTemp(j.temp).catch(() => undefined);
      const [l, r] = await Promise.all([
        lstatEntry(this.localRoot, j.path, 'local', this.remoteRoot).catch(() => undefined),
        lstatEntry(this.remoteRoot, j.path, 'remote').catch(() => undefined),
      ]);
      if (l?.kind === 'file' && r?.kind === 'file' && sameContent(l, r) === true) {
        archive.put({ path: j.path, local: l, remote: r });
        this.log.info(
          { path: display(j.path) },
          `recovered: ${j.op} of ${display(j.path)} had completed before the stop`,
        );
      }
      archive.journalDone(j.id);
    }
  }

  /** Ensures the marker and remembers the remote's mount at the first sync. */
  private async firstSyncSetup(): Promise<void> {
    const archive = this.archive;
    if (archive.getMeta(META.marker) === '1') return;
    const mount = await remoteMountAtFirstSync(this.cfg.remote, this.cfg.local);
    if (mount === undefined) {
      this.log.warn(
        `${this.cfg.remote} is not on a mounted filesystem of its own: if the remote is not mounted yet, stop now, mount it and start again`,
      );
    }
    await fs.mkdir(path.join(this.cfg.remote, MARKER), { recursive: true });
    archive.transaction(() => {
      archive.setMeta(META.remoteRoot, this.cfg.remote);
      if (mount !== undefined) archive.setMeta(META.mount, JSON.stringify(mount));
      archive.setMeta(META.marker, '1');
    });
  }

  /** What the remote's mount can do, from the last probe; undefined before the first sync. */
  get mountProbe(): MountProbe | undefined {
    return this.probe;
  }

  /** Takes a probe's findings into the policy change detection uses. */
  private useProbe(probe: MountProbe | undefined): void {
    this.probe = probe;
    const facts = factsOf(probe);
    this.policy.remoteModesKept = facts.modesKept;
    this.policy.remoteMtimesRewritten = facts.mtimesRewritten;
  }

  /** Probes the remote's mount at the first sync, after a remount, and once it is back from unavailable. */
  private async refreshProbe(): Promise<void> {
    const mount = await mountIdentityOf(this.remoteRoot);
    if (!this.probeDue && !probeIsStale(this.probe, mount, Date.now())) return;
    const probe = await probeMount(this.remoteRoot);
    this.probeDue = false;
    this.useProbe(probe);
    this.archive.setMeta(META_PROBE, JSON.stringify(probe));
    this.log.info({ probe }, `remote mount probed: ${summarizeProbe(probe)}`);
    const risk = staleViewRisk(probe);
    if (risk !== undefined) this.log.warn(risk);
  }

  async pass(opts: PassOptions): Promise<PassOutcome> {
    const reason = await remoteUnavailableReason(this.cfg.remote, this.remoteMemory());
    if (reason !== undefined) {
      this.probeDue = true;
      return { status: 'remote-unavailable', reason };
    }
    opts.onPhase?.('scanning');
    if (!opts.dryRun) {
      await this.firstSyncSetup();
      await this.refreshProbe();
    }
    this.applying = false;
    try {
      return await this.planAndApply(opts);
    } catch (e) {
      if (
        hasCode(e, ...MOUNT_GONE_CODES) ||
        (e instanceof LazysyncError && e.code === 'remote-unavailable')
      ) {
        // Only the check of the remote itself (root readable, marker there) says it is gone: an EIO from
        // one call is also how some mounts (rclone) refuse what they cannot do.
        const again = await remoteUnavailableReason(this.cfg.remote, this.remoteMemory());
        if (again === undefined) throw e;
        this.probeDue = true;
        const applied = this.applying ? { ...this.counts } : undefined;
        const any = applied !== undefined && Object.values(applied).some((n) => n > 0);
        return { status: 'remote-unavailable', reason: again, ...(any ? { applied } : {}) };
      }
      throw e;
    }
  }

  private async planAndApply(opts: PassOptions): Promise<PassOutcome> {
    const archive = this.archiveInstance;
    this.touched.clear();
    const ignore = withFilesystemFolders(
      await loadIgnore(this.cfg.local, this.cfg.ignore),
      await rootsAreMountPoints(this.localRoot, this.remoteRoot),
    );
    const strayTemps: { root: string; rel: RelPath }[] = [];
    const warn = (side: string) => (rel: RelPath, message: string) =>
      this.log.warn({ side, path: display(rel) }, `${side} ${display(rel)}: ${message}`);
    const nothing = async function* (): AsyncGenerator<never> {};
    const scopes =
      opts.paths === undefined || archive === undefined || archive.getMeta(META.marker) !== '1'
        ? ['']
        : scopesOf(opts.paths, (p) => {
            const r = archive.get(p);
            return r?.local.kind === 'dir' && r.remote.kind === 'dir';
          });
    const inScopes = <T>(each: (under: RelPath) => AsyncIterable<T> | Iterable<T>): AsyncIterable<T> =>
      (async function* () {
        for (const under of scopes) yield* each(under);
      })();
    // A dry run before the first sync may find no local folder yet: it would be created, and empty.
    const local = !existsSync(this.cfg.local)
      ? nothing()
      : inScopes((under) =>
          scanTree(this.localRoot, {
            side: 'local',
            concurrency: 8,
            io: readerFor('local'),
            ignore,
            placeholderRoot: this.remoteRoot,
            onWarning: warn('local'),
            onStrayTemp: (rel) => strayTemps.push({ root: this.localRoot, rel }),
            under,
          }),
        );
    const remoteIo = await remoteScanReader(this.remoteRoot);
    const remote = inScopes((under) =>
      scanTree(this.remoteRoot, {
        side: 'remote',
        concurrency: SCAN_CONCURRENCY,
        io: remoteIo,
        ignore,
        onWarning: warn('remote'),
        onStrayTemp: (rel) => strayTemps.push({ root: this.remoteRoot, rel }),
        under,
      }),
    );
    const records: AsyncIterable<ArchiveRecord> = archive
      ? inScopes((under) => archiveSubtree(archive, under, 1000))
      : nothing();

    const planner = new Planner(this.policy);
    const deletes = new DeleteCounter();
    let planned = 0;
    let compareBytes = 0;
    let batch: Action[] = [];
    const flush = (): void => {
      if (batch.length > 0 && !opts.dryRun) archive?.planAddMany(batch);
      batch = [];
    };
    const take = (actions: Action[]): void => {
      for (const a of actions) {
        deletes.add(a);
        compareBytes += bytesToCompare(a);
        const line = describeAction(a);
        if (line !== undefined) planned++;
        if (opts.dryRun) {
          if (line !== undefined) opts.print?.(line);
        } else batch.push(a);
      }
      if (batch.length >= PLAN_BATCH) flush();
    };

    if (!opts.dryRun) archive?.planClear();
    for await (const t of mergeSorted(records, local, remote))
      take(planner.push(t.path, t.archive, t.local, t.remote));
    take(planner.finish());
    flush();

    const verdict = checkDeletes(deletes.counts, archive?.countFiles() ?? 0, this.cfg.maxDelete);
    if (!verdict.ok && !opts.confirmDeletes) {
      archive?.planClear();
      return { status: 'waiting-confirm', message: verdict.message };
    }
    if (opts.dryRun || archive === undefined) {
      return { status: 'done', counts: emptyCounts(), conflicts: [], problems: 0, planned };
    }

    for (const s of strayTemps) await this.sweepStray(s.root, s.rel).catch(() => undefined);
    opts.compares?.planned(compareBytes);
    this.compareProgress = opts.compares?.progress;
    try {
      return await this.execute(archive, planned, opts);
    } finally {
      this.compareProgress = undefined;
    }
  }

  /** Adds this process's temp prefix to the pair's before a pass can name a temp file on the remote. */
  private rememberTempPrefix(): void {
    if (this.tempPrefixes.at(-1) === OWN_TEMP_PREFIX) return;
    const known = this.tempPrefixes;
    this.tempPrefixes = [...known.filter((p) => p !== OWN_TEMP_PREFIX), OWN_TEMP_PREFIX].slice(
      -KEPT_TEMP_PREFIXES,
    );
    this.archive.setMeta(META_TEMP_PREFIXES, JSON.stringify(this.tempPrefixes));
  }

  private ourTempPrefixes(): string[] {
    const raw = this.archiveInstance?.getMeta(META_TEMP_PREFIXES);
    return raw === undefined ? [] : (JSON.parse(raw) as string[]);
  }

  /**
   * Removes a temp file a scan found, unless it may still be written: one this process is writing (a
   * hydration or a pin in flight), or on the remote one that no process of this pair named and that is younger
   * than STRAY_REMOTE_TEMP_MS (another machine's lazysync may be uploading it). Locally the pair's lock rules
   * out any other writer.
   */
  private async sweepStray(root: string, rel: RelPath): Promise<void> {
    const abs = absOf(root, rel);
    if (isTempInFlight(abs)) return;
    const prefix = tempPrefixOf(abs);
    if (root === this.remoteRoot && (prefix === undefined || !this.tempPrefixes.includes(prefix))) {
      const st = await fs.lstat(abs);
      if (Date.now() - st.mtimeMs < STRAY_REMOTE_TEMP_MS) return;
    }
    await sweepTemp(abs);
  }

  private async execute(archive: Archive, planned: number, opts: PassOptions): Promise<PassOutcome> {
    this.settle = {
      until: Date.now() + factsOf(this.probe).settleMs,
      ...(opts.stopping && { stopping: opts.stopping }),
    };
    opts.onPhase?.('syncing');
    this.rememberTempPrefix();
    this.counts = emptyCounts();
    this.conflicts = [];
    this.applying = true;
    let problems = 0;
    // Most passes start with no problems recorded: then there are none to clear either.
    const hadProblems = archive.problemCount() > 0;
    const hadSkips = archive.skipCount() > 0;
    /** Paths this pass left out because the remote cannot store them. */
    const skippedNow = new Set<RelPath>();
    let fatal: { error: unknown } | undefined;
    /** An action failed or found its path changed: the remote may have gone; check before going on. */
    let suspect = false;
    const executor = this.executor;
    const failed = (action: Action, e: unknown): void => {
      if (e instanceof LazysyncError && e.code === 'unsupported') {
        // Not a failure: the remote cannot hold it. One warning per path, ever (the archive remembers).
        skippedNow.add(action.path);
        if (archive.skipSet(action.path, e.message)) this.log.warn({ path: display(action.path) }, e.message);
        return;
      }
      suspect = true;
      if (e instanceof LazysyncError && e.code === 'changed') {
        this.log.info({ path: display(action.path) }, messageOf(e));
        return;
      }
      const message = messageOf(e);
      const before = archive.problemGet(action.path);
      problems++;
      archive.problemSet(action.path, message);
      // The same failure again is said again only at the 2nd, 4th, 8th... time, not at every pass.
      const times = before !== undefined && before.message === message ? before.count + 1 : 1;
      if ((times & (times - 1)) !== 0) {
        this.log.debug({ path: display(action.path), op: action.op, times }, message);
        return;
      }
      this.onNotice?.({ type: 'problem', path: display(action.path), message });
      this.log.warn(
        { path: display(action.path), op: action.op },
        `${action.op} ${display(action.path)} failed: ${message}; ${times > 1 ? `failed ${times} times, ` : ''}will retry`,
      );
    };
    const applyOne = async (action: Action): Promise<void> => {
      if (opts.backoffMs !== undefined && hadProblems) {
        const p = archive.problemGet(action.path);
        if (p !== undefined && Date.now() < p.last + backoffMs(opts.backoffMs, p.count)) {
          problems++;
          return;
        }
      }
      try {
        try {
          await this.scheduler.run(action.path, async () => {
            // Hydrated or freed since planning (checked once it is our turn): the next pass decides.
            if (!this.touched.has(action.path)) await executor.apply(action);
          });
        } catch (e) {
          if (!(e instanceof StaleViewError)) throw e;
          await this.decideAgain(action.path, e);
        }
        if (hadProblems) archive.problemClear(action.path);
        if (hadSkips) archive.skipClear(action.path);
      } catch (e) {
        // An errno that can mean "the mount is gone" (EIO...) is only this path's failure unless the check of
        // the remote itself says the remote is gone: rclone answers EIO to what it cannot do.
        if (hasCode(e, ...MOUNT_GONE_CODES)) {
          const reason = await remoteUnavailableReason(this.cfg.remote, this.remoteMemory());
          if (reason !== undefined) {
            fatal ??= { error: new LazysyncError('remote-unavailable', reason, { cause: e }) };
            return;
          }
        }
        failed(action, e);
      }
    };
    // After a failure, no new action starts before the remote is known to be still there: an unmount makes
    // copies fail as "changed", and a new one could write into the bare mount point.
    const remoteGone = async (): Promise<boolean> => {
      if (!suspect) return false;
      suspect = false;
      const reason = await remoteUnavailableReason(this.cfg.remote, this.remoteMemory());
      if (reason !== undefined) fatal ??= { error: new LazysyncError('remote-unavailable', reason) };
      return reason !== undefined;
    };
    const halted = async (): Promise<boolean> =>
      fatal !== undefined || opts.stopping?.() === true || (await remoteGone());
    const endBatch = archive.writeBehind();
    try {
      await this.applyPlan(archive, applyOne, halted);
      await remoteGone();
    } finally {
      endBatch();
    }
    if (fatal !== undefined) throw fatal.error;
    archive.planClear();
    // A whole pass that ran to its end planned every path still left out: the others are gone or synced.
    if (opts.paths === undefined && opts.stopping?.() !== true && (hadSkips || skippedNow.size > 0)) {
      for (const s of archive.skipList()) if (!skippedNow.has(s.path)) archive.skipClear(s.path);
    }
    return { status: 'done', counts: this.counts, conflicts: this.conflicts, problems, planned };
  }

  /**
   * Waits until a check past the remote's caches shows at least what the server held when this pass's plan
   * was made. On mounts whose program answers opens from its own cache (rclone, davfs2) nothing sooner
   * can tell a server edit from the view the plan was made from (docs/design.md, "A stale view never
   * destroys"). Rejects if the pass is stopping meanwhile: its remaining steps are left for the next pass.
   */
  private async waitSettled(): Promise<void> {
    const { until, stopping } = this.settle;
    if (until <= Date.now()) return;
    this.log.info(
      `waiting ${((until - Date.now()) / 1000).toFixed(1)} s for the ${this.probe?.kind ?? 'remote'} mount's cache ` +
        '(it shows the server up to that late) before anything on the remote is overwritten or removed',
    );
    while (Date.now() < until) {
      if (stopping?.() === true)
        throw new LazysyncError('changed', 'the pass is stopping; left for the next one');
      await sleep(Math.min(200, until - Date.now()));
    }
  }

  /**
   * The plan for `path` was made from a stale view of the remote (the mount's cache): decide it again from
   * what the server has now and the local side as it is now, and apply that once. A change on both sides is
   * then the conflict it is, and a path the server no longer has is not an error. A second stale view is
   * left to the next pass.
   */
  private async decideAgain(path: RelPath, stale: StaleViewError): Promise<void> {
    const local = await lstatEntry(this.localRoot, path, 'local', this.remoteRoot);
    const actions = decide(path, this.archive.get(path), local, stale.fresh, this.policy);
    this.log.info(
      { path: display(path) },
      `${stale.message}: decided again from the server's state (${actions.map((a) => a.op).join(', ') || 'nothing to do'})`,
    );
    for (const a of actions) await this.scheduler.run(path, () => this.executor.apply(a));
  }

  /** Feeds the spooled plan to `applyOne` in order, a bounded window at a time, until done or halted. */
  private async applyPlan(
    archive: Archive,
    applyOne: (a: Action) => Promise<void>,
    halted: () => Promise<boolean>,
  ): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let after = 0;
    while (!(await halted())) {
      const page = archive.planPage(after, 200);
      if (page.length === 0) break;
      for (const { seq, action } of page) {
        // A bounded window: the scheduler keeps related paths in plan order, the rest overlap.
        await this.scheduler.whenBelow(APPLY_CONCURRENCY * 2);
        if (await halted()) break;
        after = seq;
        const p = applyOne(action).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    await Promise.all(inFlight);
  }
}

/** How long after its latest failure a path that failed `count` times in a row is tried again. */
export function backoffMs(firstMs: number, count: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, Math.min(count - 1, 20)), BACKOFF_MAX_MS);
}

/**
 * A root that is a mount point has its filesystem's own top-level `lost+found` (ext4, davfs2): it is not
 * the user's and is never synced, on either side (left out on one side only, it would look deleted there).
 */
function withFilesystemFolders(
  ignore: (rel: RelPath, isDir: boolean) => boolean,
  mountRoot: boolean,
): (rel: RelPath, isDir: boolean) => boolean {
  if (!mountRoot) return ignore;
  return (rel, isDir) => (isDir && rel === 'lost+found') || ignore(rel, isDir);
}

/** Whether either root is itself a mount point (a root that cannot be resolved now is not). */
async function rootsAreMountPoints(...roots: string[]): Promise<boolean> {
  const each = await Promise.all(roots.map((r) => isMountPoint(r).catch(() => false)));
  return each.some(Boolean);
}
