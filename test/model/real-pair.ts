// The one place the model tests build and call the engine's stateful parts (the Archive and the Executor),
// kept thin so that it follows the engine's API as that changes: what a pass applies, what the on-demand
// service and `lazysync free` do, and the archive as a pass reads it.
import type { Action, ArchiveRecord, Policy, RelPath, Side } from '../../src/core/types.js';
import { Executor } from '../../src/engine/executor.js';
import { archiveSubtree } from '../../src/engine/merge.js';
import { lstatEntry } from '../../src/fsops/entry.js';
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

export class RealPair {
  private constructor(
    private readonly archive: Archive,
    private readonly executor: Executor,
    private readonly opts: PairOptions,
  ) {}

  /** Opens (creates) the archive in L/.lazysync and the executor over both roots. */
  static open(opts: PairOptions): RealPair {
    const archive = Archive.open(`${opts.localRoot}/.lazysync`);
    const executor = new Executor({
      localRoot: opts.localRoot,
      remoteRoot: opts.remoteRoot,
      archive,
      policy: opts.policy,
      log: silentLogger(),
      now: () => opts.now,
      onDone: (what, path, detail) => {
        if (what === 'versioned') opts.onVersioned(path, detail as Side);
      },
    });
    return new RealPair(archive, executor, opts);
  }

  close(): void {
    this.archive.close();
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
   * A program opened a placeholder: the on-demand service hydrates it if the archive holds a placeholder
   * there and the remote a file. Throws what the executor throws.
   */
  async hydrate(path: RelPath): Promise<void> {
    const rec = this.archive.get(path);
    if (rec?.local.kind !== 'placeholder') return;
    const remote = await lstatEntry(this.opts.remoteRoot, path, 'remote');
    if (remote?.kind !== 'file') return;
    await this.executor.hydrate(path, rec.local, remote);
  }

  /**
   * `lazysync free` of a synced file: the executor makes it a placeholder if both sides are still as
   * archived, and throws LazysyncError('changed') if not.
   */
  async free(path: RelPath): Promise<void> {
    const rec = this.archive.get(path);
    if (rec?.local.kind !== 'file' || rec.remote.kind !== 'file') return;
    await this.executor.free(path, rec.local, rec.remote);
  }
}
