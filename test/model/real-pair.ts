// The one place the model tests build and call the engine's stateful parts (the Archive, the Executor, the
// Lifecycle that owns changes to files, and the pass's planning with its moves), kept thin so that it
// follows the engine's API: what a pass plans and moves, what it applies, what an open and `lazysync free`
// ask for, and the archive as a pass reads it.
import { pino, type Logger } from 'pino';
import type { PairConfig } from '../../src/config.js';
import type { MoveStep } from '../../src/core/moves.js';
import type { Action, ArchiveRecord, Policy, RelPath, Side } from '../../src/core/types.js';
import { LazysyncError } from '../../src/errors.js';
import { emptyCounts, type Done } from '../../src/engine/exec-context.js';
import { Executor } from '../../src/engine/executor.js';
import { markRemoteAtFirstSync } from '../../src/engine/health.js';
import { Lifecycle } from '../../src/engine/lifecycle.js';
import { archiveSubtree } from '../../src/store/subtree.js';
import { planPass, planWithMoves, type PlanInput, type StrayTemp } from '../../src/engine/pass-plan.js';
import { Root } from '../../src/fsops/root.js';
import { silentLogger } from '../../src/log.js';
import { Archive } from '../../src/store/archive.js';

export interface PairOptions {
  localRoot: string;
  remoteRoot: string;
  policy: Policy;
  /** The executor's clock (ms): version and conflict-copy stamps. */
  now: number;
  /** Something at `path` on `side` was kept as a version. */
  onVersioned: (path: RelPath, side: Side) => void;
}

/** A move or copy a pass found, and whether it was made (else why not, as the pass logged it). */
export interface Relocation {
  step: MoveStep;
  made: boolean;
  why?: string;
}

/** What a pass planned: the moves it found (made before planning again) and the plan to apply. */
export interface Planned {
  moves: Relocation[];
  plan: Action[];
  strayTemps: StrayTemp[];
  /** What the scans warned about (a scan of the pair's own folders finds nothing to warn about). */
  warnings: string[];
}

/** A logger that keeps each record it is given at `level` or above. */
interface LogRecord {
  level: number;
  msg: string;
}

function recordingLogger(level: 'info' | 'warn'): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { log, records };
}

export class RealPair {
  private constructor(
    private readonly archive: Archive,
    private readonly executor: Executor,
    private readonly files: Lifecycle,
    private readonly input: PlanInput,
    private readonly logged: LogRecord[],
    /** What the executor reported done since the last plan: the pass's counts. */
    private readonly done: Record<Done, number>,
  ) {}

  /** Opens (creates) the archive in L/.lazysync and the executor over both roots. */
  static open(opts: PairOptions): RealPair {
    const archive = Archive.open(`${opts.localRoot}/.lazysync`);
    const done = emptyCounts();
    const executor = new Executor({
      localRoot: opts.localRoot,
      remoteRoot: opts.remoteRoot,
      archive,
      log: silentLogger(),
      now: () => opts.now,
      onDone: (what, path, detail) => {
        done[what]++;
        if (what === 'versioned') opts.onVersioned(path, detail as Side);
      },
    });
    const { localRoot, remoteRoot, policy } = opts;
    const roots = Root.pair(localRoot, remoteRoot);
    // Info: a move the pass could not make is logged there, with why.
    const { log, records } = recordingLogger('info');
    const files = new Lifecycle({ roots, archive, executor, policy, log });
    const cfg: PairConfig = {
      remote: remoteRoot,
      local: localRoot,
      lazy: policy.lazy,
      interval: 60,
      dryRun: false,
      ignore: [],
      maxDelete: 100,
      confirmDeletes: true,
      logLevel: 'info',
      pin: [],
      accessDetect: 'inotify',
      placeholders: 'link',
      noFetchBy: [],
      versionsStaggered: false,
    };
    return new RealPair(archive, executor, files, { cfg, roots, archive, policy, log }, records, done);
  }

  close(): void {
    this.archive.close();
  }

  /**
   * Plans a pass as the pair does (the remote's marker made at the first, then planWithMoves): moves found
   * are made first through the Lifecycle, then the pass is planned again. `renamed`: the local renames the kernel reported since the last pass.
   */
  async plan(renamed?: (from: RelPath, to: RelPath) => boolean): Promise<Planned> {
    // A plain folder is no mount of its own, which the marker's first making warns about.
    await markRemoteAtFirstSync(this.archive, this.input.cfg, silentLogger());
    Object.assign(this.done, emptyCounts());
    this.logged.length = 0;
    const moves: Relocation[] = [];
    const { files, logged } = this;
    const host = {
      beginPlan: () => files.beginPlan(),
      // The mount's caches: none on a plain folder.
      settle: () => undefined,
      async relocate(step: MoveStep): Promise<boolean> {
        const before = logged.length;
        const made = await files.relocate(step);
        const why = logged.slice(before).map((r) => r.msg);
        moves.push({ step, made, ...(!made && { why: why.join('; ') }) });
        return made;
      },
    };
    files.beginPlan();
    const opts = { dryRun: false, confirmDeletes: true, ...(renamed && { renamed }) };
    const planned = await planWithMoves(this.input, opts, host);
    const warnings = logged.filter((r) => r.level >= 40).map((r) => r.msg);
    return { moves, plan: this.spooled(), strayTemps: planned.strayTemps, warnings };
  }

  /** What a pass would find now, moves included, without making anything. */
  async lookAgain(): Promise<{ moves: MoveStep[]; plan: Action[] }> {
    const { moves } = await planPass({ ...this.input, moves: {} }, { dryRun: false, confirmDeletes: true });
    return { moves, plan: this.spooled() };
  }

  /** The plan the last planning spooled to the archive, which is then cleared as a pass's end clears it. */
  private spooled(): Action[] {
    const out: Action[] = [];
    for (let after = 0; ;) {
      const page = this.archive.planPage(after, 500);
      if (page.length === 0) break;
      for (const { seq, action } of page) {
        out.push(action);
        after = seq;
      }
    }
    this.archive.planClear();
    return out;
  }

  /** What the executor reported done since the last plan: the pass's counts. */
  get counts(): Record<Done, number> {
    return { ...this.done };
  }

  /** Every archive record in scan order, read as a pass reads them. */
  records(): Iterable<ArchiveRecord> {
    return archiveSubtree(this.archive, '');
  }

  record(path: RelPath): ArchiveRecord | undefined {
    return this.archive.get(path);
  }

  /** Applies one step of a plan; throws what the executor throws. */
  apply(action: Action): Promise<void> {
    return this.executor.apply(action);
  }

  /**
   * A program opened a placeholder: a hydration request to the pair's owner of file changes, which hydrates
   * it if the archive holds a placeholder there and the remote a file. Throws what the executor throws.
   */
  async hydrate(path: RelPath): Promise<void> {
    await this.files.hydrate(path, { via: 'inotify' });
  }

  /**
   * `lazysync free` of a synced file: a request to the owner of file changes, which makes it a placeholder
   * if both sides are still as archived. A refusal for an edit since the sync, or a pin, is thrown as
   * LazysyncError('changed'); any other refusal as the error it is.
   */
  async free(path: RelPath): Promise<void> {
    const result = await this.files.free(path);
    if (result === undefined || 'freed' in result) return;
    const expected = /^(changed since the last sync|pinned:|.*changed since it was scanned)/.test(
      result.refused,
    );
    if (expected) throw new LazysyncError('changed', result.refused);
    throw new Error(result.refused);
  }
}
