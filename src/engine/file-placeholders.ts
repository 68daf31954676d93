// A pair with file placeholders (--placeholders file): the connection to the supervisor that owns the
// kernel's watch on them (src/hsm/), made when the pair opens, and the watch put back on every placeholder
// the archive knows (a supervisor started after a reboot has none). docs/design.md, "File placeholders".
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../config.js';
import { display } from '../core/paths.js';
import type { Root } from '../fsops/root.js';
import { LazysyncError, hasCode, messageOf } from '../errors.js';
import { PLACEHOLDER_XATTR } from '../fsops/placeholder-xattr.js';
import { nativeAddon } from '../native-addon.js';
import { HsmClient } from '../hsm/client.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import { archiveSubtree } from '../store/subtree.js';

/**
 * Throws a usage error naming what is missing when the pair asks for file placeholders and this machine
 * or its local folder cannot have them: before anything is made.
 */
export async function checkFilePlaceholders(cfg: PairConfig): Promise<void> {
  if (cfg.placeholders !== 'file') return;
  try {
    await HsmClient.check(nearestExisting(cfg.local));
  } catch (e) {
    throw new LazysyncError(
      'usage',
      `--placeholders file cannot work here: ${messageOf(e)}; --placeholders link works everywhere`,
    );
  }
}

/** `p` or its nearest existing parent (the local folder may not exist yet). */
function nearestExisting(p: string): string {
  for (let cur = p; ; cur = path.dirname(cur)) {
    if (existsSync(cur) || path.dirname(cur) === cur) return Buffer.from(cur).toString('latin1');
  }
}

/**
 * Connects to (or starts) the supervisor of the pair's local folder when the pair uses file placeholders,
 * and watches every file placeholder the archive records. Undefined for link placeholders. Throws a
 * LazysyncError naming what is missing where file placeholders cannot work.
 */
export async function openFilePlaceholders(
  cfg: PairConfig,
  local: Root,
  archive: Archive,
  log: Logger,
): Promise<HsmClient | undefined> {
  if (cfg.placeholders !== 'file') return undefined;
  let hsm: HsmClient;
  try {
    hsm = await HsmClient.connect(local.path);
  } catch (e) {
    if (e instanceof LazysyncError) throw e;
    throw new LazysyncError('unsupported', `file placeholders: ${messageOf(e)}`);
  }
  try {
    const marked = await watchRecorded(hsm, local, archive, log);
    log.info(
      `file placeholders: the supervisor (pid ${hsm.supervisorPid}, ${hsm.mode} events) watches ${marked} placeholder(s)`,
    );
  } catch (e) {
    hsm.close();
    throw e;
  }
  return hsm;
}

/**
 * Whether a placeholder holds data: written by a program while no supervisor watched it (after a restart
 * of the machine, before lazysync ran). Looking opens it: a placeholder still watched refuses this
 * process's open (EIO), and a watched one cannot have been written to.
 */
function writtenUnwatched(abs: Buffer): boolean {
  try {
    return nativeAddon()?.holdsData(abs) === true;
  } catch (e) {
    if (hasCode(e, 'EIO')) return false;
    throw e;
  }
}

/** Puts the watch on each file placeholder the archive records that is still the same file. */
async function watchRecorded(hsm: HsmClient, local: Root, archive: Archive, log: Logger): Promise<number> {
  let marked = 0;
  for (const rec of archiveSubtree(archive, '')) {
    if (rec.local.kind !== 'placeholder' || rec.local.ino === 0) continue;
    const now = await local.stat(rec.path).catch(() => undefined);
    // Anything else there now is for the next pass to see.
    if (now?.kind !== 'placeholder' || now.ino !== rec.local.ino) continue;
    const abs = local.abs(rec.path);
    if (writtenUnwatched(abs)) {
      // Its content is a program's (what it did not write reads as zeros): an ordinary file, uploaded as a
      // local edit by the next pass, the remote's content kept as a version.
      nativeAddon()?.removeXattr(abs, PLACEHOLDER_XATTR);
      log.warn(
        { path: display(rec.path) },
        `${display(rec.path)}: written to while no lazysync watched it; it is a local file now (the remote's content will be kept as a version)`,
      );
      continue;
    }
    // An unwatched placeholder reads as zeros: better not to start than to leave one so.
    await hsm.mark(abs).catch((e: unknown) => {
      throw new LazysyncError('io', `cannot watch the placeholder ${display(rec.path)}: ${messageOf(e)}`);
    });
    marked++;
  }
  return marked;
}
