// Lazy mode at run time: catches opens of placeholders (kernel events on R, or the /proc scan) and asks
// the pair's Lifecycle to hydrate them; notices writes through placeholders; keeps local copies under
// --cache-max by asking it to free the least recently opened clean ones; triggers passes on local changes.
import type { PairConfig } from '../config.js';
import { display, parentOf } from '../core/paths.js';
import { formatSize } from '../core/size.js';
import { eviction, overCacheMax } from '../core/requests.js';
import type { Policy, RelPath } from '../core/types.js';
import { LazysyncError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import { InotifyAccessWatcher, type AccessKind } from '../watch/access-inotify.js';
import { ProcAccessWatcher } from '../watch/access-proc.js';
import { openFilesOf, processIds } from '../watch/proc-fds.js';
import { Inotify } from '../watch/inotify.js';
import { LocalChangeWatcher, type LocalChanges, type LocalRename } from '../watch/local-events.js';
import type { Root } from '../fsops/root.js';
import type { Lifecycle } from './lifecycle.js';
import { FileAccessServer } from './file-access.js';
import type { HsmClient } from '../hsm/client.js';
import { noFetchRules } from '../core/no-fetch.js';
import type { OwnChanges } from './own-changes.js';

export type Via = 'inotify' | 'proc';

/** What the on-demand service needs from its pair. */
export interface OnDemandHost {
  cfg: PairConfig;
  /** The pair's sides: opens are watched on the remote one, changes on the local one. */
  roots: { local: Root; remote: Root };
  log: Logger;
  archive: Archive;
  policy: Policy;
  /** The owner of changes to the pair's files: hydrations and frees are requests to it. */
  files: Lifecycle;
  /** Asks the pair's loop for a whole pass soon. */
  requestPass(reason: string): void;
  /** Tells the pair's loop what changed in the local folder (or through a placeholder): it syncs those soon. */
  localChanged(changes: LocalChanges, renames?: LocalRename[]): void;
  /** Our own changes to the local folder and opens of remote files, told apart from programs'. */
  own: OwnChanges;
  /** A paused pair hydrates nothing: opens read the remote through the placeholder. */
  isPaused?(): boolean;
  /** With file placeholders: the supervisor that reports programs' accesses to them. */
  hsm?: HsmClient;
}

/** Opens of local copies are written to the archive at most this often (they order evictions). */
const OPEN_FLUSH_MS = 1000;
const DIRS_PAGE = 1000;
/** After a failed hydration, opens of that file wait this long before they try again. */
const RETRY_AFTER_FAILURE_MS = 2000;

export class OnDemand {
  private readonly inFlight = new Set<Promise<void>>();
  private evicting: Promise<void> | undefined;
  private evictAgain = false;
  private access: InotifyAccessWatcher | undefined;
  private proc: ProcAccessWatcher | undefined;
  private local: LocalChangeWatcher | undefined;
  private fileAccess: FileAccessServer | undefined;
  private readonly opens = new Map<RelPath, number>();
  /** When hydrating a path last failed. */
  private readonly failed = new Map<RelPath, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly host: OnDemandHost) {}

  /** Starts the watchers. Inotify problems fall back to the /proc scan with a warning; never fatal. */
  async start(): Promise<void> {
    const { cfg, log } = this.host;
    const onAccess = (via: Via) => (rel: RelPath, kind: AccessKind) => {
      if (kind === 'open') this.request(rel, via);
      else this.writeThrough(rel);
    };
    const { hsm } = this.host;
    if (hsm !== undefined) {
      // File placeholders: a program waits on its access until it is answered (paused or not, since a
      // file placeholder cannot be read through); nothing on the remote needs watching.
      this.fileAccess = new FileAccessServer({
        hsm,
        local: this.host.roots.local,
        archive: this.host.archive,
        files: this.host.files,
        log,
        rules: noFetchRules(cfg.noFetchBy),
        localChanged: (paths) => this.host.localChanged(paths),
        requestPass: (why) => this.host.requestPass(why),
        hydrated: () => void this.evictSoon(),
      });
      this.fileAccess.start();
    } else if (cfg.accessDetect === 'inotify') {
      if (!Inotify.available()) {
        log.warn(
          `kernel open events unavailable (${Inotify.loadError() ?? 'addon not built'}): using the /proc scan, which can miss short opens`,
        );
      } else {
        try {
          this.access = new InotifyAccessWatcher(this.host.roots.remote.path, {
            onAccess: onAccess('inotify'),
            onOverflow: () => {
              log.warn(
                'kernel event queue overflowed: some opens may have been missed; checking open files now',
              );
              this.procWatcher(onAccess('proc')).scan();
            },
            onUnmount: () => this.host.requestPass('remote unmounted'),
            onLimit: (message) => {
              log.warn(`${message}; opens in the remaining folders are found by scanning /proc instead`);
              this.procWatcher(onAccess('proc')).start();
            },
          });
          this.access.unref();
        } catch (e) {
          log.warn(
            `cannot watch the remote for opens (${messageOf(e)}): using the /proc scan, which can miss short opens`,
          );
        }
      }
    }
    if (this.access === undefined && hsm === undefined) this.procWatcher(onAccess('proc')).start();

    try {
      this.local = new LocalChangeWatcher(
        this.host.roots.local.path,
        (changes, renames) => this.host.localChanged(changes, renames),
        {
          // Opens order what --cache-max frees; without it, not watching them keeps opens free of events.
          ...(this.host.policy.cacheMax !== undefined && { onOpen: (rel: RelPath) => this.noteOpen(rel) }),
          isOwn: (rel) => this.host.own.isOwnLocalWrite(rel),
          onLimit: (message) => log.warn(message),
        },
      );
      this.local.unref();
      await this.local.start();
    } catch (e) {
      log.warn(
        `cannot watch the local folder for changes (${messageOf(e)}): local changes wait for the next pass`,
      );
    }
  }

  private procWatcher(onAccess: (rel: RelPath, kind: AccessKind) => void): ProcAccessWatcher {
    if (this.proc === undefined) {
      this.proc = new ProcAccessWatcher(this.host.roots.remote.path, onAccess);
      this.proc.unref();
    }
    return this.proc;
  }

  close(): void {
    this.closed = true;
    this.fileAccess?.close();
    this.access?.close();
    this.proc?.stop();
    this.local?.close();
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushOpens();
  }

  /**
   * After every pass: keep the cache under its limit; after a whole pass, also watch the remote folders as
   * they are now (a pass for a few local changes adds its folders as it makes placeholders).
   */
  async afterPass(whole: boolean): Promise<void> {
    if (this.access !== undefined && whole) {
      const dirs: RelPath[] = [''];
      for (let after: RelPath | undefined; ;) {
        const page = this.host.archive.remoteDirs(after, DIRS_PAGE);
        dirs.push(...page);
        if (page.length < DIRS_PAGE) break;
        after = page[page.length - 1];
      }
      this.access.setDirs(dirs);
      // Server-side renames leave watches on the wrong inodes without any event (sshfs): re-point them.
      this.access.refresh();
    }
    await this.evictSoon();
  }

  /** A placeholder for `path` is about to be made: watch its remote folder first, so no open is missed. */
  beforePlaceholder(path: RelPath): void {
    this.access?.addDir(parentOf(path));
  }

  /** An open of R/rel was seen. Cheap and synchronous: anything that is not a placeholder is ignored. */
  request(rel: RelPath, via: Via): void {
    if (this.closed || this.host.isPaused?.() === true) return;
    if (via === 'inotify' && this.host.own.claimOwnRemoteOpen(rel)) return;
    // A failed attempt read the remote file too; its own open event must not start the next attempt at once.
    const failedAt = this.failed.get(rel);
    if (failedAt !== undefined) {
      if (Date.now() - failedAt < RETRY_AFTER_FAILURE_MS) return;
      this.failed.delete(rel);
    }
    const rec = this.host.archive.get(rel);
    if (rec?.local.kind !== 'placeholder' || rec.remote.kind !== 'file') return;
    const p: Promise<void> = this.host.files
      .hydrate(rel, { via })
      .then(
        () => this.evictSoon(),
        (e: unknown) => this.hydrationFailed(rel, via, e),
      )
      .catch((e: unknown) => this.host.log.error(`after hydrating ${display(rel)}: ${messageOf(e)}`))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves when every requested hydration so far is done (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.evicting !== undefined) {
      await Promise.all([...this.inFlight, this.evicting]);
    }
    await this.fileAccess?.idle();
  }

  /** One eviction at a time; a request meanwhile runs it once more when it is done. */
  private evictSoon(): Promise<void> {
    if (this.evicting !== undefined) {
      this.evictAgain = true;
      return this.evicting;
    }
    this.evicting = (async () => {
      do {
        this.evictAgain = false;
        await this.evict();
      } while (this.evictAgain && !this.closed);
    })().finally(() => (this.evicting = undefined));
    return this.evicting;
  }

  /** The placeholder stays; the next open or pass tries again (opens only after a short wait). */
  private hydrationFailed(rel: RelPath, via: Via, e: unknown): void {
    const { archive, log } = this.host;
    // Entries past their wait are dropped here: a path that failed and was never opened again (deleted,
    // renamed) would otherwise stay in the map for the daemon's whole life.
    const now = Date.now();
    for (const [p, t] of this.failed) if (now - t >= RETRY_AFTER_FAILURE_MS) this.failed.delete(p);
    this.failed.set(rel, now);
    if (e instanceof LazysyncError && e.code === 'changed') {
      log.info({ path: display(rel) }, `not hydrated yet: ${messageOf(e)}`);
      return;
    }
    archive.problemSet(rel, `hydration failed: ${messageOf(e)}`);
    log.warn(
      { path: display(rel), via },
      `hydrating ${display(rel)} failed: ${messageOf(e)}; it stays a placeholder`,
    );
  }

  /**
   * A program wrote R/rel on this machine. Through a placeholder that is a change made here, not by another
   * machine: the next pass records it (a placeholder never conflicts). The old content could not be kept.
   */
  private writeThrough(rel: RelPath): void {
    const rec = this.host.archive.get(rel);
    if (rec?.local.kind !== 'placeholder') return; // our own uploads write temp files, never the name itself
    this.host.log.info(
      { path: display(rel) },
      `${display(rel)} was written through its placeholder (straight into the remote file; its previous content could not be kept as a version)`,
    );
    this.host.localChanged([rel]);
  }

  private noteOpen(rel: RelPath): void {
    this.opens.set(rel, Date.now());
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushOpens();
    }, OPEN_FLUSH_MS).unref();
  }

  private flushOpens(): void {
    if (this.opens.size === 0) return;
    const byTime = new Map<number, RelPath[]>();
    for (const [rel, t] of this.opens) byTime.set(t, [...(byTime.get(t) ?? []), rel]);
    this.opens.clear();
    for (const [t, rels] of byTime) this.host.archive.touch(rels, t);
  }

  /**
   * Frees clean local copies, least recently opened first, until they fit in --cache-max. Never frees a
   * pinned path, a file open right now, or a copy edited since the last sync (the executor checks).
   */
  private async evict(): Promise<void> {
    const { archive, log, files, policy } = this.host;
    if (policy.cacheMax === undefined || this.closed) return;
    this.flushOpens();
    let bytes = archive.localCopyBytes();
    if (!overCacheMax(policy, bytes)) return;
    const openNow = openFilesBelow(this.host.roots.local.path);
    let offset = 0;
    while (overCacheMax(policy, bytes)) {
      const page = archive.leastRecentlyOpened(50, offset);
      if (page.length === 0) break;
      for (const rec of page) {
        if (!overCacheMax(policy, bytes)) break;
        const what = eviction(policy, rec, openNow.has(rec.path));
        if (what !== 'free') {
          offset++;
          if (what === 'uncounted') bytes -= rec.local.size;
          continue;
        }
        const result = await files.free(rec.path);
        if (result !== undefined && 'freed' in result) {
          bytes -= result.freed;
          log.info(
            { path: display(rec.path), size: result.freed },
            `freed ${display(rec.path)} (${formatSize(result.freed)}): local copies are over --cache-max ${formatSize(policy.cacheMax)}`,
          );
        } else {
          // Edited or changed since the last sync: not a clean copy, so not ours to drop nor to count.
          offset++;
          bytes -= rec.local.size;
          log.debug({ path: display(rec.path) }, `not freed: ${result?.refused ?? 'not a local copy'}`);
        }
      }
    }
  }
}

/** Paths below `root` (a binary string) that some process has open right now, from /proc/PID/fd. */
function openFilesBelow(root: string): Set<RelPath> {
  const prefix = `${root}/`;
  const open = new Set<RelPath>();
  for (const pid of processIds()) {
    for (const [, target] of openFilesOf(pid) ?? []) {
      const path = target.toString('latin1');
      if (path.startsWith(prefix)) open.add(path.slice(prefix.length));
    }
  }
  return open;
}
