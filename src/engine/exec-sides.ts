// The checked steps on one side that every change is made of: look before changing (past the mount's
// caches on the remote), keep in versions what would be lost, make room, make a symlink, create missing
// parent folders. For the Executor and the Mover.
import fs from 'node:fs/promises';
import { display, parentOf } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError, hasCode } from '../errors.js';
import { faultPoint } from '../fault.js';
import { absOf } from '../fsops/entry.js';
import type { Root } from '../fsops/root.js';
import { ensureParents, symlinkAtomic, symlinkNew } from '../fsops/atomic.js';
import { expectFreshRemote } from '../fsops/expect.js';
import { filePlaceholderAtomic, type PlaceholderMarker } from '../fsops/file-placeholder.js';
import { expectParents } from '../fsops/parents.js';
import { formatSize } from '../core/size.js';
import { keepVersion, treeBytes } from '../versions/versions.js';
import type { ExecContext } from './exec-context.js';

export class Sides {
  constructor(
    private readonly ctx: ExecContext,
    private readonly roots: { local: Root; remote: Root },
  ) {}

  root(side: Side): string {
    return this.roots[side].path;
  }

  stat(side: Side, path: RelPath): Promise<Entry | undefined> {
    return this.roots[side].stat(path);
  }

  statOrFail(side: Side, path: RelPath): Promise<Entry> {
    return this.roots[side].need(path);
  }

  expect(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    return this.roots[side].expect(path, expected);
  }

  /** Runs `fn`, which opens R/path once, with that open known as ours (ExecContext.onRemoteOpen). */
  readingRemote<T>(path: RelPath, fn: () => Promise<T>): Promise<T> {
    this.ctx.onRemoteOpen?.(path);
    return fn();
  }

  /**
   * The check before `path` on `side` is overwritten, removed or renamed over: it must still be what the
   * plan saw. On the remote the server is asked past the mount's caches (a stale view never destroys): a
   * difference throws StaleViewError with what the server has, and the pass decides the path again.
   */
  async expectBeforeDestroy(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    if (side === 'local') return this.expect(side, path, expected);
    await this.ctx.remoteSettled?.();
    return this.readingRemote(path, () => expectFreshRemote(this.ctx.remoteRoot, path, expected));
  }

  /**
   * Makes room at `path` on `side` right before something new is put there: the path must still be what
   * the plan saw; real content is kept in versions (as a hard link if something is about to be renamed
   * over it, else moved); a placeholder is left to be renamed over, or removed to make room (it has no
   * content of its own); an (empty) directory is removed.
   */
  async clear(
    side: Side,
    path: RelPath,
    expected: Entry | undefined,
    how: 'rename-over' | 'make-room' = 'rename-over',
  ): Promise<void> {
    await this.expectBeforeDestroy(side, path, expected);
    if (expected === undefined) return;
    if (expected.kind === 'placeholder' || expected.placeholderOf !== undefined) {
      if (how === 'make-room') {
        faultPoint('executor: unlink placeholder to make room', path);
        await fs.unlink(absOf(this.root(side), path));
      }
      return;
    }
    if (expected.kind === 'dir') {
      await this.removeDir(side, path);
      return;
    }
    // Before a rename over the path, a hard link where possible: the path keeps its old content until the
    // new one replaces it. To make room (mkdir), the old content must go.
    const links = side === 'local' || this.ctx.remoteFacts?.().hardLinks !== false;
    await this.keep(side, path, expected, 'replaced', how === 'rename-over' && links);
  }

  /**
   * Keeps `path` on `side` as a version and records it in the pair's ledger of versions. A file (`expected`
   * says so) larger than --versions-skip-above is let go instead: removed, or (`leaveInPlace`) left for the
   * caller to rename over.
   */
  async keep(
    side: Side,
    path: RelPath,
    expected: Entry | undefined,
    cause: 'replaced' | 'deleted',
    leaveInPlace = false,
  ): Promise<void> {
    const { skipVersionsAbove: limit } = this.ctx;
    if (expected?.kind === 'file' && limit !== undefined && expected.size > limit) {
      if (!leaveInPlace) await fs.unlink(absOf(this.root(side), path));
      this.ctx.log.info(
        { path: display(path), side, size: expected.size },
        `${display(path)}: ${cause} on the ${side} without a version (${formatSize(expected.size)}, above --versions-skip-above ${formatSize(limit)})`,
      );
      return;
    }
    const made = this.ctx.now();
    const kept = await keepVersion(this.root(side), path, made, { leaveInPlace });
    const size = kept.kind === 'dir' ? await treeBytes(absOf(this.root(side), kept.path)) : kept.size;
    this.ctx.archive.versions.add({
      side,
      path,
      file: kept.path,
      made,
      kind: kept.kind,
      size,
      mtime: kept.mtime,
    });
    this.ctx.onDone('versioned', path, side);
  }

  async removeDir(side: Side, path: RelPath): Promise<void> {
    try {
      faultPoint('executor: rmdir', path);
      await fs.rmdir(absOf(this.root(side), path));
    } catch (e) {
      if (!hasCode(e, 'ENOTEMPTY', 'EEXIST')) throw e;
      // What is left was not in the plan (ignored files, or created during the pass): keep it as a version.
      await this.keep(side, path, undefined, 'deleted');
      this.ctx.log.warn(
        { path: display(path), side },
        'folder still had content that is not synced; moved it to versions',
      );
    }
  }

  /**
   * Right before a temp file is made: every folder on the way to `path` on `sides` is still a real folder,
   * so nothing is read or written outside the roots through a folder swapped for a symlink meanwhile.
   */
  async foldersOnTheWay(path: RelPath, ...sides: Side[]): Promise<void> {
    await Promise.all(sides.map((side) => expectParents(this.root(side), path, this.roots[side].io.lstat)));
  }

  /** Makes `path` on `side` a symlink to `target`, over `existing` (versioned) or where nothing was. */
  makeSymlink(side: Side, path: RelPath, target: Buffer, existing: Entry | undefined): Promise<void> {
    const text = target.toString('latin1');
    if (side === 'remote' && this.ctx.remoteFacts?.().canStoreSymlink(text) === false) {
      const why = this.ctx.symlinkLimit?.(text) ?? 'the remote cannot store this symlink';
      return Promise.reject(new LazysyncError('unsupported', `${display(path)}: stays local only: ${why}`));
    }
    const abs = absOf(this.root(side), path);
    const checkFolders = () => this.foldersOnTheWay(path, side);
    return this.withParents(side, path, () =>
      existing === undefined
        ? symlinkNew(target, abs, checkFolders, this.roots[side].links)
        : symlinkAtomic(
            target,
            abs,
            () => this.clear(side, path, existing),
            checkFolders,
            this.roots[side].links,
          ),
    );
  }

  /** Makes the local `path` a file placeholder of `remote`, over `existing` (versioned) or where nothing was. */
  makeFilePlaceholder(
    path: RelPath,
    remote: Entry,
    existing: Entry | undefined,
    marker: PlaceholderMarker,
  ): Promise<void> {
    const local = this.roots.local;
    return this.withParents('local', path, async () => {
      await this.foldersOnTheWay(path, 'local');
      await filePlaceholderAtomic(path, local.abs(path), remote, marker, () =>
        this.clear('local', path, existing),
      );
    });
  }

  /** Runs `fn`; if it failed because a parent folder is missing on `side`, creates the parents and retries once. */
  async withParents<T>(side: Side, path: RelPath, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!hasCode(e, 'ENOENT') || parentOf(path) === '') throw e;
      await ensureParents(this.root(side), path);
      return fn();
    }
  }
}
