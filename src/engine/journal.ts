// The journal of copies in flight, after a stop: what a killed process left is finished or rolled back.
import { sameContent } from '../core/changes.js';
import { display } from '../core/paths.js';
import { sweepTemp } from '../fsops/atomic.js';
import { lstatEntry } from '../fsops/entry.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';

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
