// The second half of a pass: the spooled plan applied step by step through the pair's one owner of file
// changes, a bounded window at a time. A failing step is a problem of its path (recorded, retried with
// back-off); only a failed check of the remote itself stops the pass as "remote unavailable".
import { display } from '../core/paths.js';
import type { Action, RelPath } from '../core/types.js';
import { LazysyncError, MOUNT_GONE_CODES, hasCode, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import { remoteUnavailableReason, type RemoteMemory } from './health.js';
import { APPLY_CONCURRENCY, type Lifecycle } from './lifecycle.js';
import type { PairNotice, PassOptions } from './pair.js';

/** A path failing again and again is retried at most this far apart (see backoffMs). */
const BACKOFF_MAX_MS = 30 * 60_000;

export interface ApplyContext {
  archive: Archive;
  files: Lifecycle;
  log: Logger;
  /** The remote root as the user named it, for the check of the remote itself. */
  remote: string;
  remoteMemory: () => RemoteMemory;
  onNotice?: (n: PairNotice) => void;
}

/** What applying a plan came to: how many paths failed, or why the remote is gone (the rest waits). */
export type Applied = { problems: number } | { unavailable: string };

/** Applies the spooled plan, until done, stopped, or the remote is found gone. */
export async function applyPass(ctx: ApplyContext, opts: PassOptions): Promise<Applied> {
  const { archive, files, log } = ctx;
  let problems = 0;
  // Most passes start with no problems recorded: then there are none to clear either.
  const hadProblems = archive.problemCount() > 0;
  const hadSkips = archive.skipCount() > 0;
  /** Paths this pass left out because the remote cannot store them. */
  const skippedNow = new Set<RelPath>();
  /** Why the remote is gone, once a check of the remote itself said so: no new step starts. */
  let gone: string | undefined;
  /** An action failed or found its path changed: the remote may have gone; check before going on. */
  let suspect = false;
  const failed = (action: Action, e: unknown): void => {
    if (e instanceof LazysyncError && e.code === 'unsupported') {
      // Not a failure: the remote cannot hold it. One warning per path, ever (the archive remembers).
      skippedNow.add(action.path);
      if (archive.skipSet(action.path, e.message)) log.warn({ path: display(action.path) }, e.message);
      return;
    }
    suspect = true;
    if (e instanceof LazysyncError && e.code === 'changed') {
      log.info({ path: display(action.path) }, messageOf(e));
      return;
    }
    const message = messageOf(e);
    const before = archive.problemGet(action.path);
    problems++;
    archive.problemSet(action.path, message);
    // The same failure again is said again only at the 2nd, 4th, 8th... time, not at every pass.
    const times = before !== undefined && before.message === message ? before.count + 1 : 1;
    if ((times & (times - 1)) !== 0) {
      log.debug({ path: display(action.path), op: action.op, times }, message);
      return;
    }
    ctx.onNotice?.({ type: 'problem', path: display(action.path), message });
    log.warn(
      { path: display(action.path), op: action.op },
      `${action.op} ${display(action.path)} failed: ${message}; ${times > 1 ? `failed ${times} times, ` : ''}will retry`,
    );
  };
  const applyOne = async (action: Action): Promise<void> => {
    if (opts.backoffMs !== undefined && hadProblems) {
      const p = archive.problemGet(action.path);
      if (p !== undefined && Date.now() < p.last + backoffMs(opts.backoffMs, p.count)) {
        problems++;
        return;
      }
    }
    try {
      await files.applyStep(action);
      if (hadProblems) archive.problemClear(action.path);
      if (hadSkips) archive.skipClear(action.path);
    } catch (e) {
      // An errno that can mean "the mount is gone" (EIO...) is only this path's failure unless the check of
      // the remote itself says the remote is gone: rclone answers EIO to what it cannot do.
      if (hasCode(e, ...MOUNT_GONE_CODES)) {
        const reason = await remoteUnavailableReason(ctx.remote, ctx.remoteMemory());
        if (reason !== undefined) {
          gone ??= reason;
          return;
        }
      }
      failed(action, e);
    }
  };
  // After a failure, no new action starts before the remote is known to be still there: an unmount makes
  // copies fail as "changed", and a new one could write into the bare mount point.
  const remoteGone = async (): Promise<boolean> => {
    if (!suspect) return false;
    suspect = false;
    const reason = await remoteUnavailableReason(ctx.remote, ctx.remoteMemory());
    if (reason !== undefined) gone ??= reason;
    return reason !== undefined;
  };
  const halted = async (): Promise<boolean> =>
    gone !== undefined || opts.stopping?.() === true || (await remoteGone());
  const endBatch = archive.writeBehind();
  try {
    await applyPlan(archive, files, applyOne, halted);
    await remoteGone();
  } finally {
    endBatch();
  }
  if (gone !== undefined) return { unavailable: gone };
  archive.planClear();
  // A whole pass that ran to its end planned every path still left out: the others are gone or synced.
  if (opts.paths === undefined && opts.stopping?.() !== true && (hadSkips || skippedNow.size > 0)) {
    for (const s of archive.skipList()) if (!skippedNow.has(s.path)) archive.skipClear(s.path);
  }
  return { problems };
}

/** Feeds the spooled plan to `applyOne` in order, a bounded window at a time, until done or halted. */
async function applyPlan(
  archive: Archive,
  files: Lifecycle,
  applyOne: (a: Action) => Promise<void>,
  halted: () => Promise<boolean>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let after = 0;
  while (!(await halted())) {
    const page = archive.planPage(after, 200);
    if (page.length === 0) break;
    for (const { seq, action } of page) {
      // A bounded window: the scheduler keeps related paths in plan order, the rest overlap.
      await files.roomFor(APPLY_CONCURRENCY * 2);
      if (await halted()) break;
      after = seq;
      const p = applyOne(action).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }
  await Promise.all(inFlight);
}

/** How long after its latest failure a path that failed `count` times in a row is tried again. */
export function backoffMs(firstMs: number, count: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, Math.min(count - 1, 20)), BACKOFF_MAX_MS);
}
