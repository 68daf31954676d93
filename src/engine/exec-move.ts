// The executor's moves and remote copies: a rename made on the other side as one call, the archive's
// records moved along in one transaction, the local placeholders below re-pointed; a placeholder copied
// locally becomes a copy made on the remote. docs/design.md, "Moves".
import { constants } from 'node:fs';
import fsp from 'node:fs/promises';
import { holdSameKind } from '../core/moves.js';
import { display } from '../core/paths.js';
import type { Action, RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { symlinkAtomic, tempPathFor } from '../fsops/atomic.js';
import type { Root } from '../fsops/root.js';
import { setPlaceholderOf } from '../fsops/file-placeholder.js';
import type { Archive } from '../store/archive.js';
import type { ExecContext } from './exec-context.js';
import type { Sides } from './exec-sides.js';
import { archiveSubtree } from '../store/subtree.js';

type Move = Extract<Action, { op: 'move' }>;
type Copy = Extract<Action, { op: 'copy' }>;

export class Mover {
  constructor(
    private readonly ctx: ExecContext,
    private readonly roots: { local: Root; remote: Root },
    private readonly sides: Sides,
  ) {}

  /**
   * Renames `from` to `path` on `a.side`, journalled: the rename, then the archive's records of `from`
   * and below moved to `path` in one transaction, then the local placeholders below re-pointed. Nothing is
   * overwritten: `path` must be free. Throws LazysyncError('changed') if `from` is no longer there as it
   * was; the next pass then copies and deletes instead.
   */
  async move(a: Move): Promise<void> {
    const { ctx, roots } = this;
    const root = roots[a.side];
    const planned = a[a.side];
    const now = await root.stat(a.from);
    if (planned === undefined || now === undefined || !holdSameKind(now, planned)) {
      throw new LazysyncError('changed', `${display(a.from)}: no longer there to move; will retry`);
    }
    await this.sides.expectBeforeDestroy(a.side, a.path, undefined);
    const id = ctx.archive.journalAdd({ path: a.from, op: 'move', side: a.side, target: a.path });
    // A local rename's events at the old path are ours too (the new path is the step's own), once the
    // archive has moved on with it.
    const done = a.side === 'local' ? ctx.onLocalWrite?.(a.from) : undefined;
    let renamed = false;
    try {
      faultPoint('move: rename', root.abs(a.from));
      // The folder it goes to may not exist yet on this side (a move into a new folder).
      await this.sides.withParents(a.side, a.path, () => fsp.rename(root.abs(a.from), root.abs(a.path)));
      renamed = true;
      ctx.archive.transaction(() => {
        moveRecords(ctx.archive, roots.local, a.from, a.path);
        ctx.archive.journalDone(id);
      });
    } catch (e) {
      // Made but not recorded: the journal row stays, for the start after this to record it.
      if (!renamed) ctx.archive.journalDone(id);
      throw e;
    } finally {
      done?.();
    }
    await this.repoint(a.path);
    ctx.onDone('moved', a.path, display(a.from));
  }

  /**
   * Copies the remote file `from` to `path` on the remote, through a temp file renamed into place; the
   * mount may copy on the server (copy_file_range), so the content need not cross to this machine. The
   * local link at `path` becomes its placeholder in the pass that follows. Throws 'changed' when there is
   * nothing to copy (the link names no remote file): that pass reports the link.
   */
  async copy(a: Copy): Promise<void> {
    const { remote } = this.roots;
    const source = await remote.stat(a.from);
    if (source?.kind !== 'file') {
      throw new LazysyncError('changed', `${display(a.from)}: no remote file to copy`);
    }
    await this.sides.expectBeforeDestroy('remote', a.path, undefined);
    const dst = remote.abs(a.path);
    const tmp = tempPathFor(dst);
    const id = this.ctx.archive.journalAdd({ path: a.path, op: 'copy', side: 'remote', temp: tmp });
    try {
      faultPoint('copy on remote: copy to temp', tmp);
      await this.sides.withParents('remote', a.path, () =>
        fsp.copyFile(remote.abs(a.from), tmp, constants.COPYFILE_EXCL),
      );
      await fsp.utimes(tmp, source.mtime / 1000, source.mtime / 1000);
      faultPoint('copy on remote: rename temp into place', dst);
      await fsp.rename(tmp, dst);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw e;
    } finally {
      this.ctx.archive.journalDone(id);
    }
    this.ctx.onDone('copied', a.path, display(a.from));
  }

  /** Points every local placeholder at or below `top` (as the archive now has them) at its own path. */
  private async repoint(top: RelPath): Promise<void> {
    const { ctx, roots } = this;
    const local = roots.local;
    for (const rec of archiveSubtree(ctx.archive, top, 500)) {
      if (rec.local.kind !== 'placeholder') continue;
      // Only a link into the remote that names another path: never a user's link that took its place.
      const now = await local.stat(rec.path).catch(() => undefined);
      if (now?.placeholderOf === undefined) continue;
      if (now.ino !== 0) {
        setPlaceholderOf(local.abs(rec.path), rec.path);
        continue;
      }
      await symlinkAtomic(
        local.placeholderText(rec.path),
        local.abs(rec.path),
        undefined,
        undefined,
        local.links,
      );
    }
  }
}

/** Moves the archive's records of `from` and below to `to`; placeholders' link text names the new path. */
export function moveRecords(archive: Archive, local: Root, from: RelPath, to: RelPath): number {
  return archive.moveTree(from, to, (path, e) =>
    e.kind === 'placeholder' ? { ...e, target: local.placeholderText(path).toString('latin1') } : e,
  );
}
