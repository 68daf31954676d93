// Applies one planned action to the roots: check the path is as planned, version what would be lost, act
// atomically, then record the result in the archive. One action's failure is thrown to the caller, which
// records it as a problem for that path and goes on.
import fs from 'node:fs/promises';
import { display, parentOf } from '../core/paths.js';
import type { Action, Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError, hasCode } from '../errors.js';
import { faultPoint } from '../fault.js';
import { absOf } from '../fsops/entry.js';
import { Root } from '../fsops/root.js';
import { copyFileAtomic, ensureDir, ensureParents, symlinkAtomic, symlinkNew } from '../fsops/atomic.js';
import { expectFreshRemote } from '../fsops/expect.js';
import { freshFileStats } from '../fsops/fresh.js';
import { expectParents } from '../fsops/parents.js';
import { copyToOtherSide } from '../core/decide.js';
import { comparesBytes } from './compare.js';
import { chunkReporter, freeConflictPath, sameOnBoth } from './exec-helpers.js';
import type { ExecContext } from './exec-context.js';
import { keepVersion } from '../versions/versions.js';
import { Mover } from './exec-move.js';

const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

export class Executor {
  private readonly roots: { local: Root; remote: Root };

  private readonly mover: Mover;

  constructor(private readonly ctx: ExecContext) {
    this.roots = Root.pair(ctx.localRoot, ctx.remoteRoot);
    this.mover = new Mover({
      ctx,
      roots: this.roots,
      expectAbsent: (side, path) => this.expectBeforeDestroy(side, path, undefined),
    });
  }

  private root(side: Side): string {
    return this.roots[side].path;
  }

  private stat(side: Side, path: RelPath): Promise<Entry | undefined> {
    return this.roots[side].stat(path);
  }

  private statOrFail(side: Side, path: RelPath): Promise<Entry> {
    return this.roots[side].need(path);
  }

  private expect(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    return this.roots[side].expect(path, expected);
  }

  /** Runs `fn`, which opens R/path once, with that open known as ours (ExecContext.onRemoteOpen). */
  private readingRemote<T>(path: RelPath, fn: () => Promise<T>): Promise<T> {
    this.ctx.onRemoteOpen?.(path);
    return fn();
  }

  /**
   * The check before `path` on `side` is overwritten, removed or renamed over: it must still be what the
   * plan saw. On the remote the server is asked past the mount's caches (a stale view never destroys): a
   * difference throws StaleViewError with what the server has, and the pass decides the path again.
   */
  private async expectBeforeDestroy(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
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
  private async clear(
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
    await keepVersion(this.root(side), path, this.ctx.now(), {
      leaveInPlace: how === 'rename-over' && links,
    });
    this.ctx.onDone('versioned', path, side);
  }

  private async removeDir(side: Side, path: RelPath): Promise<void> {
    try {
      faultPoint('executor: rmdir', path);
      await fs.rmdir(absOf(this.root(side), path));
    } catch (e) {
      if (!hasCode(e, 'ENOTEMPTY', 'EEXIST')) throw e;
      // What is left was not in the plan (ignored files, or created during the pass): keep it as a version.
      await keepVersion(this.root(side), path, this.ctx.now());
      this.ctx.log.warn(
        { path: display(path), side },
        'folder still had content that is not synced; moved it to versions',
      );
      this.ctx.onDone('versioned', path, side);
    }
  }

  /**
   * Right before a temp file is made: every folder on the way to `path` on `sides` is still a real folder,
   * so nothing is read or written outside the roots through a folder swapped for a symlink meanwhile.
   */
  private async foldersOnTheWay(path: RelPath, ...sides: Side[]): Promise<void> {
    await Promise.all(sides.map((side) => expectParents(this.root(side), path, this.roots[side].io.lstat)));
  }

  /** Makes `path` on `side` a symlink to `target`, over `existing` (versioned) or where nothing was. */
  private makeSymlink(side: Side, path: RelPath, target: Buffer, existing: Entry | undefined): Promise<void> {
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

  /** Runs `fn`; if it failed because a parent folder is missing on `side`, creates the parents and retries once. */
  private async withParents<T>(side: Side, path: RelPath, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!hasCode(e, 'ENOENT') || parentOf(path) === '') throw e;
      await ensureParents(this.root(side), path);
      return fn();
    }
  }

  /** Whether `path` is in the archive or on either side. */
  private async anythingAt(path: RelPath): Promise<boolean> {
    if (this.ctx.archive.get(path) !== undefined) return true;
    return (await this.stat('local', path)) !== undefined || (await this.stat('remote', path)) !== undefined;
  }

  private journalled<T>(
    path: RelPath,
    op: string,
    side: Side,
    fn: (onTemp: (t: Buffer) => void) => Promise<T>,
  ): Promise<T> {
    const { archive } = this.ctx;
    const id = archive.journalAdd({ path, op, side });
    return fn((t) => archive.journalSetTemp(id, t)).finally(() => archive.journalDone(id));
  }

  private record(path: RelPath, local: Entry, remote: Entry): void {
    this.ctx.archive.put({ path, local, remote });
  }

  async apply(a: Action): Promise<void> {
    return this.whileWriting(a.path, () => this.applyOne(a));
  }

  /** Runs `fn`, which may change `path` in the local root, with its kernel events known as ours. */
  private async whileWriting<T>(path: RelPath, fn: () => Promise<T>): Promise<T> {
    const done = this.ctx.onLocalWrite?.(path);
    try {
      return await fn();
    } finally {
      done?.();
    }
  }

  private async applyOne(a: Action): Promise<void> {
    switch (a.op) {
      case 'download':
        if (a.unlessSame === true && (await this.recordIfSame(a.path, a.local, a.remote))) return;
        return this.download(a.path, a.local, a.remote);
      case 'placeholder':
        return this.placeholder(a.path, a.local, a.remote);
      case 'upload':
        return this.upload(a.path, a.local, a.remote);
      case 'mkdir':
        return this.mkdir(a);
      case 'symlink':
        return this.symlink(a);
      case 'remove':
        return this.remove(a.side, a.path, a.side === 'local' ? a.local : a.remote);
      case 'conflict':
        return this.conflict(a);
      case 'record':
        // The local side can change between the scan and this moment (a program saving over a placeholder):
        // recording the scanned state then would let the next pass take a concurrent edit for a plain one.
        // A look on the local disk is cheap; a stale remote state is harmless (the next pass sees it changed).
        await this.expect('local', a.path, a.local);
        this.record(a.path, a.local, a.remote);
        this.ctx.onDone('recorded', a.path);
        return;
      case 'forget':
        this.ctx.archive.delete(a.path);
        return;
      case 'move':
        return this.mover.move(a);
      case 'copy':
        return this.mover.copy(a);
      case 'hold':
        throw new LazysyncError('unsupported', a.reason);
    }
  }

  /**
   * Frees a clean local copy: makes it a placeholder again without keeping a version, which is safe only
   * because both sides still match the archive (the same content is on the remote). Throws 'changed' if not.
   */
  free(path: RelPath, local: Entry, remote: Entry): Promise<void> {
    return this.whileWriting(path, async () => {
      await this.expect('remote', path, remote);
      await this.expect('local', path, local); // before any temp is made next to it
      const { local: root } = this.roots;
      await symlinkAtomic(
        root.placeholderText(path),
        root.abs(path),
        () => this.expect('local', path, local),
        undefined, // the check just above looked at the folders on the way
        root.links,
      );
      this.record(path, await this.statOrFail('local', path), remote);
    });
  }

  /**
   * Only the remote file's metadata moved (the server stamps its own mtime): if the bytes are the local
   * copy's, record both as they are instead of downloading the same content again.
   */
  private async recordIfSame(path: RelPath, local: Entry | undefined, remote: Entry): Promise<boolean> {
    if (local === undefined || !comparesBytes(local, remote)) return false;
    if (!(await this.readingRemote(path, () => sameOnBoth(this.ctx, path, remote.size)))) return false;
    await this.expect('local', path, local);
    this.record(path, local, remote);
    this.ctx.onDone('recorded', path);
    return true;
  }

  private async download(path: RelPath, local: Entry | undefined, remote: Entry): Promise<void> {
    const written = await this.copy('remote', path, remote, local);
    this.record(path, written, remote);
    this.ctx.onDone('downloaded', path);
  }

  /**
   * Copies the file at `path` from side `from` (as `source` describes it) over the other side's `existing`
   * entry, journalled, atomically, versioning what it replaces. Returns the destination's new entry, read
   * from the temp file right before the rename: what was written, at that side's mtime precision.
   */
  private copy(from: Side, path: RelPath, source: Entry, existing: Entry | undefined): Promise<Entry> {
    const to = other(from);
    const direction = to === 'local' ? 'download' : 'upload';
    const copying = (): Promise<Entry> =>
      this.journalled(path, direction, to, (onTemp) =>
        this.withParents(to, path, () =>
          copyFileAtomic({
            src: absOf(this.root(from), path),
            dst: absOf(this.root(to), path),
            expect: source,
            dstSide: to,
            onTemp: async (t) => {
              await this.foldersOnTheWay(path, 'local', 'remote');
              onTemp(t);
            },
            onChunk: chunkReporter(this.ctx, path, direction, source.size),
            ...(from === 'remote'
              ? {
                  sourceNow: () =>
                    this.readingRemote(path, () => freshFileStats(absOf(this.root(from), path))),
                }
              : {}),
            beforeRename: () => this.clear(to, path, existing),
          }),
        ),
      );
    return from === 'remote' ? this.readingRemote(path, copying) : copying();
  }

  private async placeholder(path: RelPath, local: Entry | undefined, remote: Entry): Promise<void> {
    this.ctx.beforePlaceholder?.(path);
    await this.makeSymlink('local', path, this.roots.local.placeholderText(path), local);
    this.record(path, await this.statOrFail('local', path), remote);
    this.ctx.onDone('placeholders', path);
  }

  private async upload(path: RelPath, local: Entry, remote: Entry | undefined): Promise<void> {
    const written = await this.afterUpload(path, await this.copy('local', path, local, remote));
    this.record(path, local, written);
    this.ctx.onDone('uploaded', path);
  }

  /**
   * Where the server rewrites metadata (samba's map archive shows 0744, davfs2 stamps its upload time), the
   * temp file's entry is not what the final path shows: record what it shows, so that the next pass does
   * not take the server's stamp for an edit. Something else there (another size or kind) is left for the
   * next pass to see as the change it is.
   */
  private async afterUpload(path: RelPath, written: Entry): Promise<Entry> {
    if (this.ctx.remoteFacts?.().rereadAfterUpload !== true) return written;
    const now = await this.stat('remote', path);
    return now?.kind === 'file' && now.size === written.size ? now : written;
  }

  private async mkdir(a: Extract<Action, { op: 'mkdir' }>): Promise<void> {
    const { side, path } = a;
    const existing = a[side];
    if (existing?.kind !== 'dir') {
      await this.clear(side, path, existing, 'make-room');
      await this.withParents(side, path, () => ensureDir(absOf(this.root(side), path)));
      this.ctx.onDone('created', path, side);
    }
    await this.recordMade(side, path, a[other(side)]);
  }

  private async symlink(a: Extract<Action, { op: 'symlink' }>): Promise<void> {
    await this.makeSymlink(a.side, a.path, Buffer.from(a.target, 'latin1'), a[a.side]);
    await this.recordMade(a.side, a.path, a[other(a.side)]);
    this.ctx.onDone('created', a.path, a.side);
  }

  /** Records `path` after something was made on `side`: what is there now, beside the other side's entry. */
  private async recordMade(side: Side, path: RelPath, otherKnown: Entry | undefined): Promise<void> {
    const here = await this.statOrFail(side, path);
    const there = otherKnown ?? (await this.statOrFail(other(side), path));
    if (side === 'local') this.record(path, here, there);
    else this.record(path, there, here);
  }

  private async remove(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    if (expected !== undefined) {
      await this.expectBeforeDestroy(side, path, expected);
      if (expected.kind === 'placeholder') faultPoint('executor: unlink placeholder', path);
      if (expected.kind === 'dir') await this.removeDir(side, path);
      else if (expected.kind === 'placeholder') await fs.unlink(absOf(this.root(side), path));
      else {
        await keepVersion(this.root(side), path, this.ctx.now());
        this.ctx.onDone('versioned', path, side);
      }
    }
    this.ctx.archive.delete(path);
    this.ctx.onDone('removed', path, side);
  }

  /**
   * Both sides changed differently. Identical bytes are just recorded. Otherwise the loser is renamed
   * aside to a conflict name on its own side (a rename, so nothing is lost even if we stop right here),
   * the winner is copied into the name on the loser's side, and the conflict copy to the winner's side.
   */
  private async conflict(a: Extract<Action, { op: 'conflict' }>): Promise<void> {
    const { path, local, remote, winner } = a;
    if (
      comparesBytes(local, remote) &&
      (await this.readingRemote(path, () => sameOnBoth(this.ctx, path, remote.size)))
    ) {
      this.record(path, local, remote);
      this.ctx.onDone('recorded', path);
      return;
    }
    const loser = other(winner);
    const loserEntry = loser === 'local' ? local : remote;
    await this.expectBeforeDestroy(loser, path, loserEntry);
    const aside = await freeConflictPath(path, this.ctx.now(), (p) => this.anythingAt(p));
    await this.whileWriting(aside, () => this.resolveConflict(a, aside));
  }

  private async resolveConflict(a: Extract<Action, { op: 'conflict' }>, aside: RelPath): Promise<void> {
    const { path, local, remote, winner } = a;
    const loser = other(winner);
    faultPoint('executor: rename conflict loser aside', path);
    await fs.rename(absOf(this.root(loser), path), absOf(this.root(loser), aside));

    const place = async (p: RelPath, entry: Entry, from: Side): Promise<void> => {
      const step = copyToOtherSide(p, entry, from, a.localCopy === true);
      if (step !== undefined) await this.applyOne(step);
    };
    await place(path, winner === 'local' ? local : remote, winner);
    await place(aside, await this.statOrFail(loser, aside), loser);

    this.ctx.onDone('conflicts', path, display(aside));
    this.ctx.log.warn(
      { path: display(path), newer: winner, copy: display(aside) },
      `conflict: ${display(path)} changed on both sides; the ${winner} version keeps the name, the ${loser} version is now ${display(aside)}`,
    );
  }
}
