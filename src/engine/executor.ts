// Applies one planned action to the roots: check the path is as planned, version what would be lost, act
// atomically, then record the result in the archive. One action's failure is thrown to the caller, which
// records it as a problem for that path and goes on.
import fs from 'node:fs/promises';
import { STATE_DIR, display } from '../core/paths.js';
import type { Action, Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { absOf, joinAbs } from '../fsops/entry.js';
import { Root } from '../fsops/root.js';
import { copyFileAtomic, ensureDir, symlinkAtomic, type CopyOptions } from '../fsops/atomic.js';
import { freshFileStats } from '../fsops/fresh.js';
import { filePlaceholderAtomic } from '../fsops/file-placeholder.js';
import { isFilePlaceholder } from '../core/changes.js';
import { copyToOtherSide } from '../core/decide.js';
import { comparesBytes } from './compare.js';
import { chunkReporter, freeConflictPath, sameOnBoth } from './exec-helpers.js';
import type { ExecContext } from './exec-context.js';
import { Mover } from './exec-move.js';
import { Sides } from './exec-sides.js';

const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

/** Where a fill's verified copy is made: in lazysync's own folder, so no synced folder changes meanwhile. */
const FILL_STAGE = `${STATE_DIR}/fill`;

export class Executor {
  private readonly roots: { local: Root; remote: Root };
  private readonly sides: Sides;
  private readonly mover: Mover;

  constructor(private readonly ctx: ExecContext) {
    this.roots = Root.pair(ctx.localRoot, ctx.remoteRoot);
    this.sides = new Sides(ctx, this.roots);
    this.mover = new Mover(ctx, this.roots, this.sides);
  }

  /** Whether `path` is in the archive or on either side. */
  private async anythingAt(path: RelPath): Promise<boolean> {
    if (this.ctx.archive.get(path) !== undefined) return true;
    return (
      (await this.sides.stat('local', path)) !== undefined ||
      (await this.sides.stat('remote', path)) !== undefined
    );
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
        await this.sides.expect('local', a.path, a.local);
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
  /**
   * Right before something is renamed over `path` on `side`: it must still be `expected`, and its content is
   * kept as a version, the path left in place (Sides.clear).
   */
  clearForRename(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    return this.sides.clear(side, path, expected);
  }

  free(path: RelPath, local: Entry, remote: Entry): Promise<void> {
    return this.whileWriting(path, async () => {
      await this.sides.expect('remote', path, remote);
      await this.sides.expect('local', path, local); // before any temp is made next to it
      const { local: root } = this.roots;
      const stillClean = (): Promise<void> => this.sides.expect('local', path, local);
      const marker = this.ctx.placeholderFiles;
      // Either way a new inode is renamed over the copy: its blocks are released once nobody has it open.
      if (marker !== undefined) {
        await filePlaceholderAtomic(path, root.abs(path), remote, marker, stillClean);
      } else {
        await symlinkAtomic(
          root.placeholderText(path),
          root.abs(path),
          stillClean,
          undefined, // the check just above looked at the folders on the way
          root.links,
        );
      }
      this.record(path, await this.sides.statOrFail('local', path), remote);
    });
  }

  /**
   * Only the remote file's metadata moved (the server stamps its own mtime): if the bytes are the local
   * copy's, record both as they are instead of downloading the same content again.
   */
  private async recordIfSame(path: RelPath, local: Entry | undefined, remote: Entry): Promise<boolean> {
    if (local === undefined || !comparesBytes(local, remote)) return false;
    if (!(await this.sides.readingRemote(path, () => sameOnBoth(this.ctx, path, remote.size)))) return false;
    await this.sides.expect('local', path, local);
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
  private copy(
    from: Side,
    path: RelPath,
    source: Entry,
    existing: Entry | undefined,
    inPlace?: Pick<CopyOptions, 'instead' | 'stageIn'>,
  ): Promise<Entry> {
    const to = other(from);
    const direction = to === 'local' ? 'download' : 'upload';
    const copying = (): Promise<Entry> =>
      this.journalled(path, direction, to, (onTemp) =>
        this.sides.withParents(to, path, () =>
          copyFileAtomic({
            src: absOf(this.sides.root(from), path),
            dst: absOf(this.sides.root(to), path),
            expect: source,
            dstSide: to,
            onTemp: async (t) => {
              await this.sides.foldersOnTheWay(path, 'local', 'remote');
              onTemp(t);
            },
            onChunk: chunkReporter(this.ctx, path, direction, source.size),
            ...(from === 'remote'
              ? {
                  sourceNow: () =>
                    this.sides.readingRemote(path, () => freshFileStats(absOf(this.sides.root(from), path))),
                }
              : {}),
            beforeRename: () => this.sides.clear(to, path, existing),
            ...inPlace,
          }),
        ),
      );
    return from === 'remote' ? this.sides.readingRemote(path, copying) : copying();
  }

  private async placeholder(path: RelPath, local: Entry | undefined, remote: Entry): Promise<void> {
    const marker = this.ctx.placeholderFiles;
    // An empty file has nothing to fetch: it is downloaded (a file placeholder is never empty).
    if (marker !== undefined && remote.size === 0) return this.download(path, local, remote);
    this.ctx.beforePlaceholder?.(path);
    if (marker !== undefined) await this.sides.makeFilePlaceholder(path, remote, local, marker);
    else await this.sides.makeSymlink('local', path, this.roots.local.placeholderText(path), local);
    this.record(path, await this.sides.statOrFail('local', path), remote);
    this.ctx.onDone('placeholders', path);
  }

  /**
   * Hydrates the file placeholder at `path` in place, for a program that has it open: the remote file is
   * copied to a verified temp beside it as a download is, then `fill` puts that content into the
   * placeholder's own inode (the program's) and lets the program go on. Recorded as the local copy the
   * fill made, not as a later look would find it: the program may already be writing to it.
   */
  fillInPlace(
    step: Extract<Action, { op: 'download' }>,
    fill: (tmp: Buffer, remote: Entry) => Promise<void>,
  ): Promise<void> {
    const { path, local, remote } = step;
    return this.whileWriting(path, async () => {
      if (!isFilePlaceholder(local)) throw new Error(`${display(path)}: not a file placeholder`);
      const stage = joinAbs(this.ctx.localRoot, FILL_STAGE);
      await ensureDir(Buffer.from(stage, 'latin1'));
      const written = await this.copy('remote', path, remote, local, {
        instead: (tmp) => fill(tmp, remote),
        stageIn: stage,
      });
      this.record(path, { ...written, ino: local.ino }, remote);
      this.ctx.onDone('downloaded', path);
    });
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
    const now = await this.sides.stat('remote', path);
    return now?.kind === 'file' && now.size === written.size ? now : written;
  }

  private async mkdir(a: Extract<Action, { op: 'mkdir' }>): Promise<void> {
    const { side, path } = a;
    const existing = a[side];
    if (existing?.kind !== 'dir') {
      await this.sides.clear(side, path, existing, 'make-room');
      await this.sides.withParents(side, path, () => ensureDir(absOf(this.sides.root(side), path)));
      this.ctx.onDone('created', path, side);
    }
    await this.recordMade(side, path, a[other(side)]);
  }

  private async symlink(a: Extract<Action, { op: 'symlink' }>): Promise<void> {
    await this.sides.makeSymlink(a.side, a.path, Buffer.from(a.target, 'latin1'), a[a.side]);
    await this.recordMade(a.side, a.path, a[other(a.side)]);
    this.ctx.onDone('created', a.path, a.side);
  }

  /** Records `path` after something was made on `side`: what is there now, beside the other side's entry. */
  private async recordMade(side: Side, path: RelPath, otherKnown: Entry | undefined): Promise<void> {
    const here = await this.sides.statOrFail(side, path);
    const there = otherKnown ?? (await this.sides.statOrFail(other(side), path));
    if (side === 'local') this.record(path, here, there);
    else this.record(path, there, here);
  }

  private async remove(side: Side, path: RelPath, expected: Entry | undefined): Promise<void> {
    if (expected !== undefined) {
      await this.sides.expectBeforeDestroy(side, path, expected);
      if (expected.kind === 'placeholder') faultPoint('executor: unlink placeholder', path);
      if (expected.kind === 'dir') await this.sides.removeDir(side, path);
      else if (expected.kind === 'placeholder') await fs.unlink(absOf(this.sides.root(side), path));
      else await this.sides.keep(side, path, expected, 'deleted');
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
      (await this.sides.readingRemote(path, () => sameOnBoth(this.ctx, path, remote.size)))
    ) {
      this.record(path, local, remote);
      this.ctx.onDone('recorded', path);
      return;
    }
    const loser = other(winner);
    const loserEntry = loser === 'local' ? local : remote;
    await this.sides.expectBeforeDestroy(loser, path, loserEntry);
    const aside = await freeConflictPath(path, this.ctx.now(), (p) => this.anythingAt(p));
    await this.whileWriting(aside, () => this.resolveConflict(a, aside));
  }

  private async resolveConflict(a: Extract<Action, { op: 'conflict' }>, aside: RelPath): Promise<void> {
    const { path, local, remote, winner } = a;
    const loser = other(winner);
    faultPoint('executor: rename conflict loser aside', path);
    await fs.rename(absOf(this.sides.root(loser), path), absOf(this.sides.root(loser), aside));

    const place = async (p: RelPath, entry: Entry, from: Side): Promise<void> => {
      const step = copyToOtherSide(p, entry, from, a.localCopy === true);
      if (step !== undefined) await this.applyOne(step);
    };
    await place(path, winner === 'local' ? local : remote, winner);
    await place(aside, await this.sides.statOrFail(loser, aside), loser);

    this.ctx.onDone('conflicts', path, display(aside));
    this.ctx.log.warn(
      { path: display(path), newer: winner, copy: display(aside) },
      `conflict: ${display(path)} changed on both sides; the ${winner} version keeps the name, the ${loser} version is now ${display(aside)}`,
    );
  }
}
