// One pair on real folders for the property tests: two fresh temp roots L and R, the real archive in
// L/.lazysync, passes run as the daemon runs them (the pass's planning with its moves, then the Executor),
// and what users do in between as real filesystem calls.
import fs from 'node:fs';
import os from 'node:os';
import { parentOf, STATE_DIR } from '../../src/core/paths.js';
import { Planner } from '../../src/core/planner.js';
import type { Action, ArchiveRecord, Policy, RelPath, Side } from '../../src/core/types.js';
import type { Done } from '../../src/engine/exec-context.js';
import { mergeSorted, type Triple } from '../../src/engine/merge.js';
import { LazysyncError } from '../../src/errors.js';
import { placeholderTarget, readerFor, remoteScanReader, type FsReader } from '../../src/fsops/entry.js';
import { scanTree } from '../../src/scan/walk.js';
import { RealPair, type Relocation } from './real-pair.js';
import { snapshotOf, type Snapshot } from './snapshot.js';
import * as user from './user-fs.js';

export type { Triple };

/** A step the real pass would have failed or skipped (and retried), or done in a way a correct plan never needs. */
export interface Anomaly {
  kind: string;
  action: string;
  detail: string;
}

export interface PassResult {
  /** The moves and copies the pass found and made before it planned again. */
  moves: Relocation[];
  plan: Action[];
  /** How many actions ran (all, unless the pass was cut short). */
  applied: number;
  anomalies: Anomaly[];
  /** Paths whose step was a hold: left alone, as the pass's warning says. */
  held: RelPath[];
  /** What the executor reported done in the pass (moves included). */
  counts: Record<Done, number>;
}

export const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

/** One line per action, for reports. */
export const brief = (a: Action): string =>
  `${a.op}${'side' in a ? `:${a.side}` : ''} ${'from' in a ? `${a.from} -> ` : ''}${a.path}`;

/**
 * Where the roots go: memory-backed /dev/shm where there is one (no disk flushes: SQLite's syncs and the
 * executor's fsyncs cost nothing there), else the system's temp folder.
 */
function scratchFolder(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // none, or not writable
  }
  return os.tmpdir();
}

/** The sides an action changes. */
export function sidesOf(a: Action): Side[] {
  switch (a.op) {
    case 'download':
    case 'placeholder':
      return ['local'];
    case 'upload':
      return ['remote'];
    case 'mkdir':
    case 'symlink':
    case 'remove':
      return [a.side];
    case 'conflict':
      return ['local', 'remote'];
    case 'move':
      return [a.side];
    case 'copy':
      return ['remote'];
    case 'record':
    case 'forget':
    case 'hold':
      return [];
  }
}

/** The sides an action writes something new to at its path, whose parent folder must exist by then. */
function writtenSides(a: Action): Side[] {
  return a.op === 'remove' || a.op === 'conflict' ? [] : sidesOf(a);
}

function describeError(e: unknown): { kind: string; detail: string } {
  if (e instanceof LazysyncError) return { kind: e.code, detail: e.message };
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return { kind: 'io', detail: `${code}: ${(e as Error).message}` };
  return { kind: 'error', detail: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

export class DiskWorld {
  private readonly pair: RealPair;
  /** The action being applied, and what it did that a correct plan never needs. */
  private applying: Action | undefined;
  private anomalies: Anomaly[] = [];
  /** How the remote root is read, chosen once: the same root on the same filesystem every pass. */
  private remoteIo: Promise<FsReader> | undefined;
  /** Local renames since the last pass, as `from\0to`, when the kernel reports them (a watching daemon). */
  private renames: Set<string> | undefined;

  private constructor(
    private readonly base: string,
    readonly policy: Policy,
    now: number,
  ) {
    fs.mkdirSync(this.localRoot);
    fs.mkdirSync(this.remoteRoot);
    this.pair = RealPair.open({
      localRoot: this.localRoot,
      remoteRoot: this.remoteRoot,
      policy,
      now,
      onVersioned: (path, side) => this.versioned(path, side),
    });
  }

  /**
   * A new pair in fresh folders; `now` is the executor's clock (ms). With `watched`, the passes are told the
   * local renames users made, as the daemon's kernel events tell them. Close it to remove the folders.
   */
  static create(policy: Policy, now: number, watched = false): DiskWorld {
    const w = new DiskWorld(fs.mkdtempSync(`${scratchFolder()}/lazysync-model-`), policy, now);
    if (watched) w.renames = new Set();
    return w;
  }

  get localRoot(): string {
    return `${this.base}/L`;
  }

  get remoteRoot(): string {
    return `${this.base}/R`;
  }

  root(side: Side): string {
    return side === 'local' ? this.localRoot : this.remoteRoot;
  }

  close(): void {
    this.pair.close();
    fs.rmSync(this.base, { recursive: true, force: true });
  }

  /** A folder's removal that had to keep leftovers as a version: the plan left something below it. */
  private versioned(path: RelPath, side: Side): void {
    const a = this.applying;
    if (a === undefined || a.op === 'forget' || a.path !== path || a[side]?.kind !== 'dir') return;
    this.anomalies.push({
      kind: 'rmdir-not-empty',
      action: brief(a),
      detail: `${side} ${path} was not empty`,
    });
  }

  /** The triples of a pass: both real scans and the archive, joined in scan order as pair.ts does. */
  async triples(): Promise<Triple[]> {
    const problems: string[] = [];
    const hooks = (side: Side) => ({
      onWarning: (rel: RelPath, message: string) => problems.push(`${side} ${rel}: ${message}`),
      onStrayTemp: (rel: RelPath) => problems.push(`${side} ${rel}: a temp file left behind`),
    });
    const local = scanTree(this.localRoot, {
      side: 'local',
      concurrency: 8,
      io: readerFor('local'),
      placeholderRoot: this.remoteRoot,
      ...hooks('local'),
    });
    const remote = scanTree(this.remoteRoot, {
      side: 'remote',
      concurrency: 8,
      io: await (this.remoteIo ??= remoteScanReader(this.remoteRoot)),
      ...hooks('remote'),
    });
    const pair = this.pair;
    const records = (async function* (): AsyncGenerator<ArchiveRecord> {
      yield* pair.records();
    })();
    const out: Triple[] = [];
    for await (const t of mergeSorted(records, local, remote)) out.push(t);
    if (problems.length > 0) throw new Error(`the scan found what no pass leaves: ${problems.join('; ')}`);
    return out;
  }

  /** The plan of `triples`, as a pass makes it: each pushed to the Planner in order, then finish(). */
  planOf(triples: Triple[]): Action[] {
    const planner = new Planner(this.policy);
    const out = triples.flatMap((t) => planner.push(t.path, t.archive, t.local, t.remote));
    return [...out, ...planner.finish()];
  }

  /** What another pass would do now (its moves, then its plan), without doing it. */
  async plan(): Promise<Action[]> {
    const again = await this.pair.lookAgain();
    return [...again.moves, ...again.plan];
  }

  /**
   * One pass: the pass's planning, which makes the moves it finds and plans again, then the first `limit`
   * actions applied (all by default) one after the other. A step that throws is what the real pass logs and
   * retries next time: reported as an anomaly, and the pass goes on.
   */
  async pass(limit = Infinity): Promise<PassResult> {
    const renames = this.renames;
    const planned = await this.pair.plan(renames && ((from, to) => renames.has(`${from}\0${to}`)));
    renames?.clear();
    const problems = [
      ...planned.warnings,
      ...planned.strayTemps.map((t) => `${t.rel}: a temp file left behind`),
    ];
    if (problems.length > 0) throw new Error(`the scan found what no pass leaves: ${problems.join('; ')}`);
    const { plan, moves } = planned;
    this.anomalies = [];
    const held: RelPath[] = [];
    let applied = 0;
    for (const a of plan) {
      if (applied >= limit) break;
      applied++;
      for (const side of writtenSides(a)) {
        const parent = parentOf(a.path);
        if (parent !== '' && user.statIfReachable(this.root(side), parent)?.isDirectory() !== true) {
          this.anomalies.push({
            kind: 'implicit-parent',
            action: brief(a),
            detail: `${side} ${parent} missing`,
          });
        }
      }
      this.applying = a;
      try {
        await this.pair.apply(a);
      } catch (e) {
        if (a.op === 'hold' && e instanceof LazysyncError && e.code === 'unsupported') held.push(a.path);
        else this.anomalies.push({ ...describeError(e), action: brief(a) });
      } finally {
        this.applying = undefined;
      }
    }
    return { moves, plan, applied, anomalies: this.anomalies, held, counts: this.pair.counts };
  }

  /** Everything both roots, their versions and the archive hold now. */
  snapshot(): Snapshot {
    return snapshotOf(this.localRoot, this.remoteRoot, this.policy, this.pair.records());
  }

  // ---- What users and the on-demand service do between passes ----

  userWrite(
    side: Side,
    path: RelPath,
    content: string,
    mtimeMs: number,
    atomic: boolean,
    force: boolean,
  ): void {
    user.writeFile(this.root(side), path, content, mtimeMs, atomic, force);
  }

  userMkdir(side: Side, path: RelPath, force: boolean): void {
    user.makeFolder(this.root(side), path, force);
  }

  userSymlink(side: Side, path: RelPath, target: string, force: boolean): void {
    user.makeSymlink(this.root(side), path, target, force);
  }

  /** The paths on `side` now, sorted: what a user's pick among existing things picks from. */
  private existing(side: Side, only?: (st: fs.Stats) => boolean): RelPath[] {
    const all = user.listPaths(this.root(side), STATE_DIR);
    return only === undefined ? all : all.filter((p) => only(fs.lstatSync(user.absPath(this.root(side), p))));
  }

  /**
   * `mv -T` of the `pick`-th path on `side` (modulo how many there are) to `to`. `synced`: picked among the
   * paths the pair has synced (the archive's), if any. `free`: only to where nothing is, never over
   * something. Returns the path moved, if any.
   */
  userMove(
    side: Side,
    pick: number,
    to: RelPath,
    opts: { synced?: boolean; free?: boolean } = {},
  ): RelPath | undefined {
    const all = this.existing(side);
    const known = opts.synced === true ? all.filter((p) => this.pair.record(p) !== undefined) : [];
    const among = known.length > 0 ? known : all;
    const from = among[pick % Math.max(among.length, 1)];
    if (from === undefined || (opts.free === true && !user.isFree(this.root(side), to))) return undefined;
    if (!user.move(this.root(side), from, to)) return undefined;
    this.renames?.add(`${from}\0${to}`);
    return from;
  }

  /** `cp -P` of the `pick`-th local symlink (a placeholder, a user's link...) to `to`, where nothing is. */
  userCopyLink(pick: number, to: RelPath): void {
    const links = this.existing('local', (st) => st.isSymbolicLink());
    const from = links[pick % Math.max(links.length, 1)];
    if (from !== undefined) user.copyLink(this.localRoot, from, to);
  }

  /** A local symlink at `path` whose link text is the remote path of `of`, as a placeholder's would be. */
  userLinkIntoRemote(path: RelPath, of: RelPath, force: boolean): void {
    user.makeSymlink(this.localRoot, path, placeholderTarget(this.remoteRoot, of), force);
  }

  userRemove(side: Side, path: RelPath): void {
    user.remove(this.root(side), path);
  }

  userChmod(side: Side, path: RelPath): void {
    user.toggleMode(this.root(side), path);
  }

  /**
   * `cp -p` of another file of the same size over a synced local file: `twin` gives its content from the
   * old one's (undefined: no such file). Only the inode tells the change: a local-only operation.
   */
  userReplaceKeepingMtime(path: RelPath, twin: (old: string) => string | undefined): void {
    const old = user.readFileIfAny(this.localRoot, path);
    if (old === undefined || this.pair.record(path) === undefined) return;
    const content = twin(old);
    if (content !== undefined) user.replaceKeepingMtime(this.localRoot, path, content);
  }

  /** A program opens a placeholder: the on-demand service hydrates it; a refusal changes nothing. */
  async hydrate(path: RelPath): Promise<void> {
    try {
      await this.pair.hydrate(path);
    } catch (e) {
      if (!(e instanceof LazysyncError)) throw e;
    }
  }

  /**
   * `lazysync free`: a clean local copy becomes a placeholder; one changed since the sync is refused with
   * LazysyncError('changed'). Any other failure is a finding.
   */
  async free(path: RelPath): Promise<void> {
    try {
      await this.pair.free(path);
    } catch (e) {
      if (e instanceof LazysyncError && e.code === 'changed') return;
      throw new Error(`lazysync free ${path} failed instead of refusing: ${describeError(e).detail}`, {
        cause: e,
      });
    }
  }
}
