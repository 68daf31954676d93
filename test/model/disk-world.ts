// One pair on real folders for the property tests: two fresh temp roots L and R, the real archive in
// L/.lazysync, passes run as the daemon runs them (scanner, archive merge, Planner, Executor), and what
// users do in between as real filesystem calls.
import fs from 'node:fs';
import os from 'node:os';
import { parentOf } from '../../src/core/paths.js';
import { Planner } from '../../src/core/planner.js';
import type { Action, ArchiveRecord, Policy, RelPath, Side } from '../../src/core/types.js';
import { mergeSorted, type Triple } from '../../src/engine/merge.js';
import { LazysyncError } from '../../src/errors.js';
import { readerFor, remoteScanReader, type FsReader } from '../../src/fsops/entry.js';
import { scanTree } from '../../src/scan/walk.js';
import { RealPair } from './real-pair.js';
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
  plan: Action[];
  /** How many actions ran (all, unless the pass was cut short). */
  applied: number;
  anomalies: Anomaly[];
}

export const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

/** One line per action, for reports. */
export const brief = (a: Action): string => `${a.op}${'side' in a ? `:${a.side}` : ''} ${a.path}`;

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

  /** A new pair in fresh folders; `now` is the executor's clock (ms). Close it to remove the folders. */
  static create(policy: Policy, now: number): DiskWorld {
    return new DiskWorld(fs.mkdtempSync(`${scratchFolder()}/lazysync-model-`), policy, now);
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

  async plan(): Promise<Action[]> {
    return this.planOf(await this.triples());
  }

  /**
   * One pass: plan, then apply the first `limit` actions (all by default) one after the other. A step that
   * throws is what the real pass logs and retries next time: reported as an anomaly, and the pass goes on.
   */
  async pass(limit = Infinity): Promise<PassResult> {
    const plan = await this.plan();
    this.anomalies = [];
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
        this.anomalies.push({ ...describeError(e), action: brief(a) });
      } finally {
        this.applying = undefined;
      }
    }
    return { plan, applied, anomalies: this.anomalies };
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
