// The one place the model tests build and call the engine's stateful parts (the Archive, the Executor and
// the Lifecycle that owns changes to files), kept thin so that it follows the engine's API: what a pass
// applies, what an open and `lazysync free` ask for, and the archive as a pass reads it.
import type { Action, ArchiveRecord, Policy, RelPath, Side } from '../../src/core/types.js';
import { LazysyncError } from '../../src/errors.js';
import { Executor } from '../../src/engine/executor.js';
import { Lifecycle } from '../../src/engine/lifecycle.js';
import { Root } from '../../src/fsops/root.js';
import { archiveSubtree } from '../../src/engine/merge.js';
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
    private readonly files: Lifecycle,
  ) {}

  /** Opens (creates) the archive in L/.lazysync and the executor over both roots. */
  static open(opts: PairOptions): RealPair {
    const archive = Archive.open(`${opts.localRoot}/.lazysync`);
    const executor = new Executor({
      localRoot: opts.localRoot,
      remoteRoot: opts.remoteRoot,
      archive,
      log: silentLogger(),
      now: () => opts.now,
      onDone: (what, path, detail) => {
        if (what === 'versioned') opts.onVersioned(path, detail as Side);
      },
    });
    const { localRoot, remoteRoot, policy } = opts;
    const log = silentLogger();
    const roots = Root.pair(localRoot, remoteRoot);
    const files = new Lifecycle({ roots, archive, executor, policy, log });
    return new RealPair(archive, executor, files);
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
