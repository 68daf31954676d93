// Programs touching file placeholders: each access the supervisor reports (src/hsm/) holds a program until
// it is answered. A placeholder the archive knows is hydrated in place through the pair's Lifecycle (every
// access to one file joins one fetch); an open that empties it (O_TRUNC) makes it an ordinary file with
// nothing fetched; a program on the --no-fetch-by list is refused. Whatever cannot be served is refused
// with EIO: a program never reads zeros. docs/design.md, "File placeholders".
import { refusedBy } from '../core/no-fetch.js';
import { STATE_DIR, display, isWithin, relativeInside } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { LazysyncError, messageOf } from '../errors.js';
import type { Root } from '../fsops/root.js';
import type { AccessEvent, HsmClient } from '../hsm/client.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import type { Lifecycle } from './lifecycle.js';

/** How long a program that opened a moved placeholder waits for the pass that makes the move. */
const MOVED_WAIT_MS = 30_000;

export interface FileAccessHost {
  hsm: HsmClient;
  local: Root;
  archive: Archive;
  files: Lifecycle;
  log: Logger;
  /** The --no-fetch-by rules in force. */
  rules: readonly string[];
  /** A placeholder became an ordinary file here: the pair syncs it soon. */
  localChanged(paths: RelPath[]): void;
  /** Something the archive does not know yet was touched (a placeholder moved): a pass soon. */
  requestPass(why: string): void;
  /** Told after each hydration (the cache limit may want a file freed). */
  hydrated(): void;
}

export class FileAccessServer {
  /** Accesses not answered yet, by path. */
  private readonly waiting = new Map<RelPath, AccessEvent[]>();
  private readonly serving = new Map<RelPath, Promise<void>>();
  /** Programs refused, so the log names each once. */
  private readonly refusedSeen = new Set<string>();
  private closed = false;

  constructor(private readonly host: FileAccessHost) {}

  start(): void {
    const { hsm, log } = this.host;
    hsm.onAccess((e) => this.onAccess(e));
    hsm.onLost((why) =>
      log.error(`file placeholders: lost the supervisor (${why}); programs touching a placeholder get EIO`),
    );
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves when every access seen so far has been answered. */
  async idle(): Promise<void> {
    while (this.serving.size > 0) await Promise.all(this.serving.values());
  }

  private onAccess(e: AccessEvent): void {
    const { hsm, local, log, rules } = this.host;
    // lazysync's own folder holds no placeholders.
    const rel = relativeInside(e.path.toString('latin1'), local.path);
    if (rel === undefined || rel === '' || isWithin(rel, STATE_DIR) || this.closed) {
      this.answer(hsm.deny([e.id], 'EIO'));
      return;
    }
    const rule = refusedBy(rules, e.exe, e.comm);
    if (rule !== undefined) {
      const who = e.exe ?? e.comm ?? `pid ${e.pid}`;
      if (!this.refusedSeen.has(who)) {
        this.refusedSeen.add(who);
        log.info(`${who} may not fetch file placeholders (--no-fetch-by ${rule}): its opens are refused`);
      }
      this.answer(hsm.deny([e.id], 'EPERM'));
      return;
    }
    const queue = this.waiting.get(rel);
    if (queue === undefined) this.waiting.set(rel, [e]);
    else queue.push(e);
    if (!this.serving.has(rel)) {
      const p = this.serve(rel).finally(() => this.serving.delete(rel));
      this.serving.set(rel, p);
    }
  }

  /** Answers the accesses to `rel` until none is left (more may arrive while one is served). */
  private async serve(rel: RelPath): Promise<void> {
    try {
      while ((this.waiting.get(rel)?.length ?? 0) > 0) await this.serveOnce(rel);
    } catch (e) {
      this.host.log.error(`answering accesses to ${display(rel)}: ${messageOf(e)}`);
      this.answer(this.host.hsm.deny(ids(this.take(rel, () => true)), 'EIO'));
    } finally {
      this.waiting.delete(rel);
    }
  }

  private async serveOnce(rel: RelPath): Promise<void> {
    const { archive, files, hsm, local, log } = this.host;
    const rec = archive.get(rel);
    const ino = rec?.local.ino ?? 0;
    const ofPlaceholder = (e: AccessEvent): boolean => e.ino === ino;
    const events = this.waiting.get(rel) ?? [];
    if (rec?.local.kind === 'placeholder' && ino !== 0 && events.some(ofPlaceholder)) {
      if (events.filter(ofPlaceholder).every((e) => e.truncating)) {
        const emptied = ids(this.take(rel, ofPlaceholder));
        await files.releasePlaceholder(rel, () => hsm.release(emptied));
        log.info(
          { path: display(rel) },
          `${display(rel)} was emptied by a program: a new local file, nothing fetched`,
        );
        this.host.localChanged([rel]);
        return;
      }
      await this.hydrate(rel, ofPlaceholder);
      return;
    }
    const all = this.take(rel, () => true);
    if (rec?.local.kind === 'file') {
      // Hydrated meanwhile. An access to the old placeholder's inode (a download renamed a copy over it
      // while the program waited) gets the same content; a writer there would write into a file that is
      // gone, so it is refused.
      const abs = local.abs(rel);
      for (const e of all) {
        if (e.ino === rec.local.ino) this.answer(hsm.allow([e.id]));
        else if (e.writing) this.answer(hsm.deny([e.id], 'EIO'));
        else this.answer(hsm.fill([e.id], abs, rec.local.mtime));
      }
      return;
    }
    // A placeholder moved here (`mv`) and opened before the pass made the move: that pass is due now (the
    // rename was a local change); the programs wait for it, then the next round serves them.
    const now = await local.stat(rel).catch(() => undefined);
    if (now?.placeholderOf !== undefined && all.some((e) => e.ino === now.ino)) {
      this.waiting.set(rel, [...all, ...(this.waiting.get(rel) ?? [])]);
      this.host.requestPass(`moved placeholder ${display(rel)} opened`);
      if (await this.untilKnown(rel, now.ino)) return;
      this.take(rel, (e) => all.includes(e));
    }
    log.info(
      { path: display(rel) },
      `${display(rel)}: touched before the pair knows it as a placeholder: refused for now`,
    );
    this.answer(hsm.deny(ids(all), 'EIO'));
  }

  /** Waits (bounded) until the archive has `rel` as the placeholder with inode `ino`. */
  private async untilKnown(rel: RelPath, ino: number): Promise<boolean> {
    const deadline = Date.now() + MOVED_WAIT_MS;
    while (!this.closed && Date.now() < deadline) {
      const rec = this.host.archive.get(rel);
      if (rec?.local.kind === 'placeholder' && rec.local.ino === ino) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  /** Fetches `rel` into the placeholder the waiting programs have open, then lets them all go on. */
  private async hydrate(rel: RelPath, ofPlaceholder: (e: AccessEvent) => boolean): Promise<void> {
    const { archive, files, hsm, log } = this.host;
    let filled = false;
    try {
      await files.hydrate(rel, {
        via: 'fanotify',
        fill: async (tmp, remote) => {
          filled = true;
          await hsm.fill(ids(this.take(rel, ofPlaceholder)), tmp, remote.mtime);
        },
      });
    } catch (e) {
      const quiet = e instanceof LazysyncError && e.code === 'changed';
      if (!quiet) archive.problemSet(rel, `hydration failed: ${messageOf(e)}`);
      log.warn(
        { path: display(rel) },
        `fetching ${display(rel)} failed: ${messageOf(e)}; the program gets EIO`,
      );
    }
    if (filled) {
      this.host.hydrated();
      return;
    }
    // Nothing was fetched for them (failed, or no longer something to fetch): unless the path is a local
    // copy now (the next round answers them from it), they are refused.
    if (archive.get(rel)?.local.kind !== 'file') {
      this.answer(hsm.deny(ids(this.take(rel, ofPlaceholder)), 'EIO'));
    }
  }

  /** Removes and returns the waiting accesses to `rel` that `which` selects. */
  private take(rel: RelPath, which: (e: AccessEvent) => boolean): AccessEvent[] {
    const queue = this.waiting.get(rel) ?? [];
    const taken = queue.filter(which);
    this.waiting.set(
      rel,
      queue.filter((e) => !which(e)),
    );
    return taken;
  }

  /** An answer to the supervisor; one that cannot be given is its business (it refuses what it holds). */
  private answer(p: Promise<void>): void {
    p.catch((e: unknown) => this.host.log.warn(`file placeholders: answering an access: ${messageOf(e)}`));
  }
}

function ids(events: AccessEvent[]): number[] {
  return events.map((e) => e.id);
}
