// The journal of copies in flight, after a stop: what a killed process left is finished or rolled back.
import { sameContent } from '../core/changes.js';
import { display } from '../core/paths.js';
import { sweepTemp } from '../fsops/atomic.js';
import { lstatEntry } from '../fsops/entry.js';
import type { Logger } from '../log.js';
import { Root } from '../fsops/root.js';
import type { Archive } from '../store/archive.js';
import type { JournalEntry } from '../store/archive-journal.js';
import { moveRecords } from './exec-move.js';

/**
 * Temp files in the journal are removed, and a copy that had already landed (both sides now hold the
 * same content) is recorded so it is not copied again.
 */
export async function recoverJournal(
  archive: Archive,
  localRoot: string,
  remoteRoot: string,
  log: Logger,
): Promise<void> {
  for (const j of archive.journalList()) {
    if (j.op === 'move') {
      await recoverMove(archive, Root.pair(localRoot, remoteRoot), j, log);
      continue;
    }
    if (j.temp !== undefined) await sweepTemp(j.temp).catch(() => undefined);
    const [l, r] = await Promise.all([
      lstatEntry(localRoot, j.path, 'local', remoteRoot).catch(() => undefined),
      lstatEntry(remoteRoot, j.path, 'remote').catch(() => undefined),
    ]);
    if (l?.kind === 'file' && r?.kind === 'file' && sameContent(l, r) === true) {
      archive.put({ path: j.path, local: l, remote: r });
      log.info(
        { path: display(j.path) },
        `recovered: ${j.op} of ${display(j.path)} had completed before the stop`,
      );
    }
    archive.journalDone(j.id);
  }
}

/**
 * A move stopped between its rename and the archive's update: if the rename was made (the source gone, the
 * target there), the archive's records follow it; if not, the next pass finds the move again.
 */
async function recoverMove(
  archive: Archive,
  roots: { local: Root; remote: Root },
  j: JournalEntry,
  log: Logger,
): Promise<void> {
  const { side, target } = j;
  if (side !== undefined && target !== undefined) {
    const root = roots[side];
    const [from, to] = await Promise.all([
      root.stat(j.path).catch(() => undefined),
      root.stat(target).catch(() => undefined),
    ]);
    if (from === undefined && to !== undefined && archive.get(target) === undefined) {
      moveRecords(archive, roots.local, j.path, target);
      log.info(
        { path: display(target) },
        `recovered: the move of ${display(j.path)} to ${display(target)} had been made before the stop`,
      );
    }
  }
  archive.journalDone(j.id);
}
