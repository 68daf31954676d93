// One pair's resources (roots, archive, lock, logger) and its passes: health -> scan+plan -> guard ->
// execute -> record. Passes of one pair never overlap. The pass's halves are pass-plan.ts and
// pass-apply.ts; every change to the files goes through the pair's Lifecycle.
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../config.js';
import { checkDeletes } from '../core/guard.js';
import { display, isWithin } from '../core/paths.js';
import type { Policy, RelPath } from '../core/types.js';
import { LazysyncError, MOUNT_GONE_CODES, hasCode } from '../errors.js';
import { parseProbe, probeIsStale, type MountProbe } from '../fsops/probe.js';
import { factsOf, staleViewRisk, symlinkLimit } from '../fsops/probe-facts.js';
import { summarizeProbe } from '../fsops/probe-advice.js';
import { mountIdentityOf, probeMount } from '../fsops/probe-run.js';
import type { Logger } from '../log.js';
import { matcherOf } from '../scan/ignore.js';
import { Archive } from '../store/archive.js';
import { acquireLock } from '../store/lock.js';
import { emptyCounts, type CompareProgress, type Done, type Progress } from './exec-context.js';
import { Executor } from './executor.js';
import { checkFilePlaceholders, openFilePlaceholders } from './file-placeholders.js';
import type { HsmClient } from '../hsm/client.js';
import { Root } from '../fsops/root.js';
import { adoptLocalVersions } from '../versions/adopt.js';
import { META, markRemoteAtFirstSync, rememberedRemote, remoteUnavailableReason } from './health.js';
import { recoverJournal } from './journal.js';
import { Lifecycle } from './lifecycle.js';
import { OwnChanges } from './own-changes.js';
import { applyPass } from './pass-apply.js';
import { planWithMoves } from './pass-plan.js';
import { TokenBucket } from './rate-limit.js';
import { RemoteSettle } from './settle.js';
import { StrayTemps } from './stray-temps.js';

/** Archive meta key of the paths pinned with `lazysync pin` (a JSON array of binary strings). */
const META_PINS = 'pins';
/** Archive meta key of the mount probe's result (JSON of a MountProbe). */
const META_PROBE = 'remote.probe';

export interface PassOptions {
  dryRun: boolean;
  confirmDeletes: boolean;
  /** Receives each line of a dry run's plan. */
  print?: (line: string) => void;
  /** Checked between actions: stop early (the pass is finished by the next one). */
  stopping?: () => boolean;
  /** Told 'scanning' once the remote's health check has passed, 'syncing' when applying the plan starts. */
  onPhase?: (phase: 'scanning' | 'syncing') => void;
  /** Local renames the kernel reported since the last pass (a file renamed and written is still moved). */
  renamed?: (from: RelPath, to: RelPath) => boolean;
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
  | { type: 'hydrated' | 'freed'; path: RelPath; size: number }
  | { type: 'problem'; path: string; message: string }
  | { type: 'progress'; progress: Progress };

export type PassOutcome =
  | { status: 'done'; counts: Record<Done, number>; conflicts: string[]; problems: number; planned: number }
  /** `applied`: what the pass had done before the remote went (absent: nothing). */
  | { status: 'remote-unavailable'; reason: string; applied?: Record<Done, number> }
  | { status: 'waiting-confirm'; message: string };

/** Who a pair tells what it does; given once, when it is opened. */
export interface PairHooks {
  /** Told of conflicts, problems, hydrations, frees and transfer progress. */
  onNotice?: (n: PairNotice) => void;
  /** Told before each placeholder is made (the on-demand service watches its folder). */
  onPlaceholder?: (path: RelPath) => void;
  /** Told of local paths changed by someone else while lazysync was changing them (their events were missed). */
  onLocalChange?: (paths: RelPath[]) => void;
}

/** What the current pass has done so far, as the executor reports it. */
interface Tally {
  counts: Record<Done, number>;
  conflicts: string[];
  /** Told of the pass's byte comparisons (PassOptions.compares). */
  onCompare?: (p: CompareProgress) => void;
}

function binary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

export class Pair {
  readonly localRoot: string;
  readonly remoteRoot: string;
  /** Both sides as the code that acts on them sees them. */
  readonly roots: { local: Root; remote: Root };
  readonly policy: Policy;
  readonly isPinned: (path: RelPath) => boolean;
  /** --bwlimit: one bucket for every transfer of the pair. */
  readonly bandwidth: TokenBucket;
  /** Our own changes to the local folder and opens of remote files, told apart from programs'. */
  readonly own: OwnChanges;
  private readonly strayTemps: StrayTemps;
  private readonly settle: RemoteSettle;
  /** Paths pinned with `lazysync pin` (files, or folders and everything below), kept in the archive. */
  private pinnedPaths: RelPath[] = [];
  private executorInstance: Executor | undefined;
  private lifecycle: Lifecycle | undefined;
  /** The current pass's tally once it has started applying its plan; undefined before. */
  private tally: Tally | undefined;
  private releaseLock: (() => void) | undefined;
  /** What the remote's mount can do, from the last probe (kept in the archive); undefined before one. */
  private probe: MountProbe | undefined;
  /** The remote was unavailable: probe again once it is back (it may be another mount now). */
  private probeDue = false;
  /** The supervisor's client, with file placeholders (--placeholders file). */
  hsm: HsmClient | undefined;

  private constructor(
    readonly cfg: PairConfig,
    readonly log: Logger,
    /** Undefined only for a dry run before the first sync: nothing may be created then. */
    private readonly archiveInstance: Archive | undefined,
    private readonly hooks: PairHooks,
    roots: { local: Root; remote: Root },
  ) {
    this.roots = roots;
    this.localRoot = roots.local.path;
    this.remoteRoot = roots.remote.path;
    this.bandwidth = new TokenBucket(cfg.bwlimit);
    const pins = matcherOf(cfg.pin.map(binary));
    const byPath = (path: RelPath): boolean => this.pinnedPaths.some((p) => isWithin(path, p));
    this.isPinned = (path) => (cfg.pin.length > 0 && pins(path, false)) || byPath(path);
    this.policy = {
      lazy: cfg.lazy,
      isPinned: this.isPinned,
      ...(cfg.maxSize !== undefined && { maxSize: cfg.maxSize }),
      ...(cfg.cacheMax !== undefined && { cacheMax: cfg.cacheMax }),
    };
    this.own = new OwnChanges(
      this.localRoot,
      this.remoteRoot,
      (p) => archiveInstance?.get(p),
      (p) => hooks.onLocalChange?.([p]),
    );
    this.strayTemps = new StrayTemps(archiveInstance, this.remoteRoot);
    this.settle = new RemoteSettle(log);
  }

  /** The archive; only a dry run before the first sync has none. */
  get archive(): Archive {
    if (this.archiveInstance === undefined) throw new Error('no archive in a first dry run');
    return this.archiveInstance;
  }

  private get executor(): Executor {
    const { hooks } = this;
    this.executorInstance ??= new Executor({
      localRoot: this.localRoot,
      remoteRoot: this.remoteRoot,
      archive: this.archive,
      log: this.log,
      now: Date.now,
      onDone: (what, p, detail) => this.done(what, p, detail),
      onLocalWrite: (p) => this.own.writing(p),
      onRemoteOpen: (p) => this.own.openingRemote(p),
      beforePlaceholder: (p) => hooks.onPlaceholder?.(p),
      onProgress: (progress) => hooks.onNotice?.({ type: 'progress', progress }),
      onCompare: (p) => this.tally?.onCompare?.(p),
      throttle: (n) => this.bandwidth.take(n),
      remoteSettled: () => this.settle.settled(this.probe?.kind ?? 'remote'),
      remoteFacts: () => factsOf(this.probe),
      symlinkLimit: (target) => symlinkLimit(this.probe, target),
      ...(this.hsm !== undefined && { placeholderFiles: this.hsm }),
      ...(this.cfg.versionsSkipAbove !== undefined && { skipVersionsAbove: this.cfg.versionsSkipAbove }),
    });
    return this.executorInstance;
  }

  /** The one owner of changes to the pair's files: every step, hydration, freeing and restore goes here. */
  get files(): Lifecycle {
    this.lifecycle ??= new Lifecycle({
      roots: this.roots,
      archive: this.archive,
      executor: this.executor,
      policy: this.policy,
      log: this.log,
      notify: (e) => this.hooks.onNotice?.(e),
    });
    return this.lifecycle;
  }

  /** One step done by the executor (in a pass, or a hydration meanwhile): counted for the pass's summary. */
  private done(what: Done, p: RelPath, detail: string | undefined): void {
    if (this.tally !== undefined) this.tally.counts[what]++;
    if (what === 'conflicts') {
      this.tally?.conflicts.push(`${display(p)} (other version: ${detail ?? '?'})`);
      this.hooks.onNotice?.({ type: 'conflict', path: display(p), copy: detail ?? '' });
    }
    if (what !== 'recorded' && what !== 'versioned') this.log.debug({ path: display(p), what, detail }, what);
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

  /** Opens the pair's state, taking its lock. A dry run creates nothing (no folder, no database, no lock). */
  static async open(cfg: PairConfig, log: Logger, dryRun: boolean, hooks: PairHooks = {}): Promise<Pair> {
    const roots = Root.pair(binary(cfg.local), binary(cfg.remote));
    const stateDir = roots.local.stateDir;
    if (dryRun && !existsSync(path.join(stateDir, 'state.db')))
      return new Pair(cfg, log, undefined, hooks, roots);
    if (!dryRun) await checkFilePlaceholders(cfg);
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
    const pair = new Pair(cfg, log, archive, hooks, roots);
    pair.releaseLock = lock?.release;
    const pins = archive.getMeta(META_PINS);
    if (pins !== undefined) pair.pinnedPaths = JSON.parse(pins) as RelPath[];
    pair.useProbe(parseProbe(archive.getMeta(META_PROBE)));
    try {
      const knownRemote = archive.getMeta(META.remoteRoot);
      if (knownRemote !== undefined && knownRemote !== cfg.remote) {
        throw new LazysyncError(
          'usage',
          `${cfg.local} is paired with the remote ${knownRemote}, not ${cfg.remote}; use another local folder`,
        );
      }
      if (!dryRun) await recoverJournal(archive, pair.localRoot, pair.remoteRoot, log);
      if (!dryRun) await adoptLocalVersions(archive, pair.localRoot);
      if (!dryRun) pair.hsm = await openFilePlaceholders(cfg, roots.local, archive, log);
    } catch (e) {
      pair.close();
      throw e;
    }
    return pair;
  }

  close(): void {
    this.hsm?.close();
    this.archiveInstance?.close();
    this.releaseLock?.();
    this.releaseLock = undefined;
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
    this.tally = undefined;
    const reason = await remoteUnavailableReason(this.cfg.remote, rememberedRemote(this.archiveInstance));
    if (reason !== undefined) return this.unavailable(reason);
    opts.onPhase?.('scanning');
    if (!opts.dryRun) {
      await markRemoteAtFirstSync(this.archive, this.cfg, this.log);
      await this.refreshProbe();
    }
    try {
      return await this.planAndApply(opts);
    } catch (e) {
      if (
        hasCode(e, ...MOUNT_GONE_CODES) ||
        (e instanceof LazysyncError && e.code === 'remote-unavailable')
      ) {
        // Only the check of the remote itself (root readable, marker there) says it is gone: an EIO from
        // one call is also how some mounts (rclone) refuse what they cannot do.
        const again = await remoteUnavailableReason(this.cfg.remote, rememberedRemote(this.archiveInstance));
        if (again === undefined) throw e;
        return this.unavailable(again);
      }
      throw e;
    }
  }

  /**
   * The remote is gone (a check of the remote itself said so): the pass stops, says what it had applied,
   * and the mount is probed again once it is back.
   */
  private unavailable(reason: string): PassOutcome {
    this.probeDue = true;
    const tally = this.tally;
    const applied = tally && { ...tally.counts };
    const any = applied !== undefined && Object.values(applied).some((n) => n > 0);
    return { status: 'remote-unavailable', reason, ...(any ? { applied } : {}) };
  }

  private async planAndApply(opts: PassOptions): Promise<PassOutcome> {
    const archive = this.archiveInstance;
    if (archive !== undefined) this.files.beginPlan();
    const { cfg, roots, policy, log } = this;
    const input = { cfg, roots, archive, policy, log };
    // Counted from here: moves are made while the pass is planned.
    const tally: Tally = {
      counts: emptyCounts(),
      conflicts: [],
      ...(opts.compares && { onCompare: opts.compares.progress }),
    };
    this.tally = tally;
    // The owner of file changes exists once there is an archive: before it, no move can be found.
    const plan = await planWithMoves(input, opts, {
      beginPlan: () => this.files.beginPlan(),
      settle: () => this.settle.start(factsOf(this.probe).settleMs, opts.stopping),
      relocate: (step) => this.files.relocate(step),
    });
    const verdict = checkDeletes(plan.deletes, archive?.countFiles() ?? 0, this.cfg.maxDelete);
    if (!verdict.ok && !opts.confirmDeletes) {
      archive?.planClear();
      // Moves delete nothing: made before the guard looks, they are not what it asks about.
      const moved = plan.moved > 0 ? ` (the ${plan.moved} move(s) found were made)` : '';
      return { status: 'waiting-confirm', message: `${verdict.message}${moved}` };
    }
    if (opts.dryRun || archive === undefined) {
      return { status: 'done', counts: emptyCounts(), conflicts: [], problems: 0, planned: plan.planned };
    }
    for (const s of plan.strayTemps) await this.strayTemps.sweep(s.root, s.rel).catch(() => undefined);
    opts.compares?.planned(plan.compareBytes);
    this.settle.start(factsOf(this.probe).settleMs, opts.stopping);
    opts.onPhase?.('syncing');
    this.strayTemps.rememberOurs();
    try {
      const applied = await applyPass(
        {
          archive,
          files: this.files,
          log: this.log,
          remote: this.cfg.remote,
          remoteMemory: () => rememberedRemote(this.archiveInstance),
          ...(this.hooks.onNotice && { onNotice: this.hooks.onNotice }),
        },
        opts,
      );
      if ('unavailable' in applied) return this.unavailable(applied.unavailable);
      const { counts, conflicts } = tally;
      return {
        status: 'done',
        counts: { ...counts },
        conflicts,
        problems: applied.problems,
        planned: plan.planned,
      };
    } finally {
      delete tally.onCompare;
    }
  }
}
