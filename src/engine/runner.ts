// One pair, running: its serial loop of passes (interval, local changes, rescans), on-demand hydration,
// pause/resume, status and the operations the control API asks for. A slow or unavailable remote only
// ever stalls its own runner.
import { EventEmitter } from 'node:events';
import type { PairConfig } from '../config.js';
import { baseName, display } from '../core/paths.js';
import { parseConflictName } from '../core/names.js';
import { formatSize } from '../core/size.js';
import type { ArchiveRecord, RelPath, Side } from '../core/types.js';
import { LazysyncError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { changesIn, describeCounts, type Progress } from './exec-context.js';
import { conflictListing, versionListing, versionsOnBothSides } from './history.js';
import { deletedBelow, restorePath } from './version-trees.js';
import { Pruner } from './pruner.js';
import type { PruneReport } from './prune.js';
import { retentionOf } from '../retention-options.js';
import type { RetentionRule } from '../core/retention.js';
import { OnDemand } from './on-demand.js';
import { LiveTransfers } from './transfers.js';
import { archiveSubtree } from '../store/subtree.js';
import { Pair, type PassOutcome } from './pair.js';
import { Wakeup } from './wakeup.js';
import type { LocalChanges, LocalRename } from '../watch/local-events.js';
import { ReportedRenames } from './renames.js';
import type {
  ConflictListing,
  DeletedListing,
  PairEvent,
  PairRunnerApi,
  PairState,
  PairStatus,
  RestoreResult,
  VersionListing,
} from './runner-api.js';
import { statusOptions } from '../pair-options.js';

/** How often an unavailable remote is checked again, at most. */
const UNAVAILABLE_RETRY_S = 2;
/** More changed local paths than this waiting at once: a whole pass instead. */
const MAX_PENDING_PATHS = 5000;

export class PairRunner extends EventEmitter implements PairRunnerApi {
  private pair: Pair | undefined;
  private onDemand: OnDemand | undefined;
  private pruner: Pruner | undefined;
  private readonly wake = new Wakeup();
  private loopDone: Promise<void> | undefined;
  private state: PairState = 'idle';
  private reason: string | null = null;
  private paused = false;
  private confirmNext = false;
  private lastPass: PairStatus['lastPass'] = null;
  private readonly transfers = new LiveTransfers();
  /** A whole pass is due at once (start, rescan, resume, a lost event queue...), else at nextWholePass. */
  private wholePassWanted = true;
  private nextWholePass = 0;
  /** Local paths changed since the last pass began: a pass over just these runs soon. */
  private readonly changedPaths = new Set<RelPath>();
  /** Local renames the kernel reported since the last pass began. */
  private readonly renames = new ReportedRenames();

  constructor(
    readonly name: string,
    private readonly cfg: PairConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  private get p(): Pair {
    if (this.pair === undefined) throw new LazysyncError('io', `pair ${this.name} is not running`);
    return this.pair;
  }

  async start(): Promise<void> {
    const pair = await Pair.open(this.cfg, this.log, false, {
      onNotice: (n) => {
        if (n.type === 'progress') this.progress(n.progress);
        else if (n.type === 'hydrated' || n.type === 'freed')
          this.emitEvent({ ...n, pair: this.name, path: display(n.path) });
        else this.emitEvent({ pair: this.name, ...n });
      },
      onPlaceholder: (p) => this.onDemand?.beforePlaceholder(p),
      onLocalChange: (paths) => this.localChanged(paths),
    });
    this.pair = pair;
    this.pruner = new Pruner(pair, retentionOf(this.cfg));
    const onDemand = new OnDemand({
      cfg: this.cfg,
      roots: pair.roots,
      log: this.log,
      archive: pair.archive,
      policy: pair.policy,
      files: pair.files,
      own: pair.own,
      ...(pair.hsm !== undefined && { hsm: pair.hsm }),
      isPaused: () => this.paused,
      requestPass: (why) => {
        this.log.debug(`pass requested: ${why}`);
        this.wholePassWanted = true;
        if (!this.paused) this.wake.nudge();
      },
      localChanged: (changes, renames) => this.localChanged(changes, renames),
    });
    this.onDemand = onDemand;
    try {
      await onDemand.start();
    } catch (e) {
      pair.close();
      throw e;
    }
    this.log.info(
      `syncing ${this.cfg.remote} <-> ${this.cfg.local} (${this.cfg.lazy ? 'lazy' : 'eager'}), a pass every ${this.cfg.interval}s`,
    );
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.wake.stop();
    await this.loopDone;
    this.onDemand?.close();
    await this.onDemand?.idle();
    this.pair?.close();
    this.pair = undefined;
  }

  pause(): void {
    this.paused = true;
    this.setState('paused', 'paused by the user');
  }

  resume(confirmDeletes: boolean): void {
    if (confirmDeletes) this.confirmNext = true;
    this.wholePassWanted = true;
    if (this.paused) {
      this.paused = false;
      this.setState('idle', null);
    }
    this.wake.nudge();
  }

  rescan(): void {
    this.wholePassWanted = true;
    this.wake.nudge();
  }

  /** Kernel events named what changed locally: sync those paths now, without scanning everything. */
  private localChanged(changes: LocalChanges, renames: LocalRename[] = []): void {
    this.renames.add(renames);
    if (changes === 'all' || this.changedPaths.size + changes.length > MAX_PENDING_PATHS) {
      this.wholePassWanted = true;
      this.changedPaths.clear();
    } else if (!this.wholePassWanted) for (const p of changes) this.changedPaths.add(p);
    if (!this.paused) this.wake.nudge();
  }

  setLogLevel(level: string): void {
    this.log.level = level;
  }

  setBwlimit(rate: number | undefined): void {
    this.p.bandwidth.setRate(rate);
    this.log.info(
      rate === undefined ? 'transfers no longer rate limited' : `transfers limited to ${formatSize(rate)}/s`,
    );
  }

  private setState(state: PairState, reason: string | null): void {
    if (state === this.state && reason === this.reason) return;
    this.state = state;
    this.reason = reason;
    this.emitEvent({ type: 'state', pair: this.name, state, reason });
  }

  private emitEvent(e: PairEvent): void {
    this.emit('event', e);
  }

  private progress(p: Progress): void {
    if (this.transfers.update(p))
      this.emitEvent({ type: 'transfer', pair: this.name, ...p, path: display(p.path) });
  }

  private async loop(): Promise<void> {
    const pair = this.p;
    let lastLogged = '';
    while (!this.wake.stopped) {
      if (this.paused) {
        this.wake.nudged = false; // a rescan while paused must not turn this wait into a busy loop
        await this.wake.sleep(3600);
        continue;
      }
      this.wake.nudged = false;
      const whole = this.wholePassWanted || Date.now() >= this.nextWholePass;
      if (!whole && this.changedPaths.size === 0) {
        await this.wake.sleep((this.nextWholePass - Date.now()) / 1000);
        continue;
      }
      // Taken before the pass starts: events during the pass are for the next one.
      const paths = whole ? undefined : [...this.changedPaths];
      const renamed = this.renames.take();
      this.changedPaths.clear();
      this.wholePassWanted = false;
      const started = Date.now();
      let outcome: PassOutcome | undefined;
      try {
        // While the remote is gone the state stays remote-unavailable through each retry: the pass says
        // 'scanning' itself once its health check passes, so a status view does not flicker.
        if (this.state !== 'remote-unavailable') this.setState('scanning', null);
        outcome = await pair.pass({
          dryRun: false,
          confirmDeletes: this.cfg.confirmDeletes || this.confirmNext,
          stopping: () => this.wake.stopped || this.paused,
          onPhase: (phase) => this.setState(phase, null),
          backoffMs: this.cfg.interval * 1000,
          ...(paths !== undefined ? { paths } : {}),
          ...(renamed && { renamed }),
        });
        if (outcome.status === 'done') {
          this.confirmNext = false;
          await this.onDemand?.afterPass(whole);
          await this.pruner?.afterPass(outcome.counts.versioned);
        }
        this.afterPass(outcome, started, lastLogged, paths);
        lastLogged = this.state + (this.reason ?? '');
      } catch (e) {
        this.setState('error', messageOf(e));
        this.log.error(`pass failed: ${messageOf(e)}; trying again in ${this.cfg.interval}s`);
        lastLogged = '';
      }
      const retry = outcome?.status === 'remote-unavailable';
      const wait = retry ? Math.min(this.cfg.interval, UNAVAILABLE_RETRY_S) : this.cfg.interval;
      // A pass for a few paths that did not finish leaves the rest to a whole pass, as does any whole pass.
      if (whole || outcome?.status !== 'done') {
        this.nextWholePass = Math.min(whole ? Infinity : this.nextWholePass, Date.now() + wait * 1000);
      }
      if (whole) await this.wake.sleep(wait);
    }
  }

  private afterPass(o: PassOutcome, started: number, lastLogged: string, paths: RelPath[] | undefined): void {
    if (this.paused) {
      this.setState('paused', 'paused by the user');
      return;
    }
    switch (o.status) {
      case 'remote-unavailable':
        this.setState('remote-unavailable', o.reason);
        if (lastLogged !== this.state + o.reason) {
          this.log.warn(
            `paused: remote unavailable: ${o.reason}; nothing is deleted, syncing resumes when it is back`,
          );
        }
        return;
      case 'waiting-confirm':
        this.setState('waiting-confirm', o.message);
        if (lastLogged !== this.state + o.message) {
          this.log.error(
            `paused: ${o.message}; confirm with 'lazysync resume ${this.name} --confirm-deletes'`,
          );
        }
        return;
      case 'done': {
        if (lastLogged.startsWith('remote-unavailable')) this.log.info('remote available again; syncing');
        const c = o.counts;
        const applied = changesIn(c);
        const durationMs = Date.now() - started;
        this.lastPass = { finishedAt: new Date().toISOString(), durationMs, applied, problems: o.problems };
        this.setState('idle', null);
        this.emitEvent({ type: 'pass', pair: this.name, applied, problems: o.problems, durationMs });
        if (applied > 0 || o.problems > 0) {
          this.log.info(
            { ...c, problems: o.problems, changedPaths: paths?.length },
            `${paths === undefined ? 'pass' : `local changes (${paths.length} paths)`}: ${describeCounts(c)}, ${o.problems} problems`,
          );
        }
        for (const line of o.conflicts) this.log.warn(`conflict: ${line}`);
      }
    }
  }

  status(): PairStatus {
    const archive = this.pair?.archive;
    const local = archive?.countLocal() ?? { placeholders: 0, localCopies: 0 };
    return {
      name: this.name,
      remote: this.cfg.remote,
      local: this.cfg.local,
      lazy: this.cfg.lazy,
      state: this.state,
      reason: this.reason,
      lastPass: this.lastPass,
      counts: {
        placeholders: local.placeholders,
        localCopies: local.localCopies,
        localCopyBytes: archive?.localCopyBytes() ?? 0,
        pinned: this.cfg.pin.length + (this.pair?.pins.length ?? 0),
        conflicts:
          archive?.conflictCopies().filter((r) => parseConflictName(baseName(r.path)) !== undefined).length ??
          0,
        problems: archive?.problemCount() ?? 0,
      },
      transfers: this.transfers.list(),
      options: statusOptions(this.cfg, this.pair?.bandwidth.limit),
      mount: this.pair?.mountProbe ?? null,
      ...(archive && { versions: archive.versions.usage() }),
      skipped: archive?.skipCount() ?? 0,
    };
  }

  /** Archive records at `path` and below, in order, read in pages. */
  private below(path: RelPath): Generator<ArchiveRecord> {
    return archiveSubtree(this.p.archive, path);
  }

  async pin(paths: string[]): Promise<{ path: string; files: number }[]> {
    const pair = this.p;
    pair.setPins([...pair.pins, ...paths]);
    const out: { path: string; files: number }[] = [];
    for (const path of paths) {
      let files = 0;
      for (const rec of [...this.below(path)]) {
        if (rec.remote.kind !== 'file') continue;
        files++;
        if (rec.local.kind === 'placeholder') await pair.files.hydrate(rec.path, 'pin');
      }
      out.push({ path: display(path), files });
    }
    return out;
  }

  async unpin(paths: string[]): Promise<{ path: string }[]> {
    const pair = this.p;
    const drop = new Set(paths);
    pair.setPins(pair.pins.filter((p) => !drop.has(p)));
    return paths.map((p) => ({ path: display(p) }));
  }

  async free(
    paths: string[],
  ): Promise<{ freed: { path: string }[]; refused: { path: string; reason: string }[] }> {
    const pair = this.p;
    const freed: { path: string }[] = [];
    const refused: { path: string; reason: string }[] = [];
    for (const path of paths) {
      for (const rec of [...this.below(path)]) {
        // Only local copies of remote files can be freed: the rest is not worth a turn in the scheduler.
        if (rec.local.kind !== 'file' || rec.remote.kind !== 'file') continue;
        const result = await pair.files.free(rec.path);
        if (result === undefined) continue;
        if ('freed' in result) freed.push({ path: display(rec.path) });
        else refused.push({ path: display(rec.path), reason: result.refused });
      }
    }
    return { freed, refused };
  }

  async versions(path: string): Promise<VersionListing[]> {
    return versionListing(await versionsOnBothSides(this.sideRoots, path));
  }

  async restore(path: string, at?: string): Promise<RestoreResult> {
    const pair = this.p;
    const host = { roots: this.sideRoots, log: this.log, restore: pair.files.restore.bind(pair.files) };
    const result = await restorePath(host, path, at);
    this.wake.nudge();
    return result;
  }

  async deleted(path: string): Promise<DeletedListing[]> {
    return deletedBelow(this.sideRoots, path);
  }

  prune(dryRun: boolean, rule?: RetentionRule): Promise<PruneReport> {
    if (this.pruner === undefined) throw new LazysyncError('io', `pair ${this.name} is not running`);
    return this.pruner.run(dryRun, rule);
  }

  private get sideRoots(): Record<Side, string> {
    return { local: this.p.localRoot, remote: this.p.remoteRoot };
  }

  async conflicts(): Promise<ConflictListing[]> {
    return conflictListing(this.p.archive);
  }
}
