// Listing one directory for the scanner: readdir + parallel lstat, filtered, sorted by name bytes.
import { mapLimit } from '../limit.js';
import fsp from 'node:fs/promises';
import { display, joinPath, STATE_DIR, TEMP_PREFIX } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { absOf, observe, pooledReader, type FsReader, type Observation } from '../fsops/entry.js';
import { codeOf, isAbsent, isMountGone } from '../fsops/fserr.js';
import { expectParents } from '../fsops/parents.js';

export interface ListContext {
  root: string;
  side: Side;
  ignore?: ((rel: RelPath, isDir: boolean) => boolean) | undefined;
  placeholderRoot?: string | undefined;
  /**
   * The root's device and inode, taken when the root is listed. A path that vanishes later is checked
   * against it: if the root itself is gone or is now another folder (an unmount leaves the bare mount
   * point), the scan is incomplete and throws instead of reporting the rest as deleted.
   */
  rootId?: { dev: number; ino: number } | undefined;
  /** How to read the side (default: through the threadpool; blockingReader for the local disk). */
  io?: FsReader | undefined;
}

export interface Child {
  rel: RelPath;
  entry: Entry;
}

/**
 * One directory's listing. 'vanished': it is gone (skip it and everything below). 'unreadable': it exists
 * but cannot be listed completely; nothing below it is known. A dead mount is not a listing: it throws.
 */
export type Listing =
  | { status: 'ok'; children: Child[]; warnings: [RelPath, string][]; strayTemps: RelPath[] }
  | { status: 'vanished'; reason: string; cause: unknown }
  | { status: 'unreadable'; reason: string; cause: unknown };

/** lstat calls in flight for one directory; each is a round trip on a network mount. */
const LSTAT_PARALLEL = 64;

/** One name's outcome: a child and/or a warning, nothing (vanished, ignored), or a problem for the whole dir. */
export interface Probe {
  /** The name was listed but is gone now. */
  absent?: true;
  child?: Child;
  warning?: string;
  problem?: { reason: string; cause: unknown };
}

/** The error for a filesystem that went away under the scan: the whole side is unavailable, not one path. */
export function unavailable(ctx: ListContext, rel: RelPath, e: unknown): LazysyncError {
  const where = rel === '' ? '' : ` (at ${display(rel)})`;
  return new LazysyncError(
    ctx.side === 'remote' ? 'remote-unavailable' : 'local-unavailable',
    `${ctx.side} root ${display(ctx.root)} is unavailable: ${codeOf(e)}${where}`,
    { cause: e },
  );
}

/** List `rel` (a directory below or at the root). Throws only for a dead mount (see `unavailable`). */
export async function listDir(ctx: ListContext, rel: RelPath): Promise<Listing> {
  if (rel === '') ctx.rootId = await rootIdOf(ctx);
  let names: Buffer[];
  try {
    names = await (ctx.io ?? pooledReader).readdir(absOf(ctx.root, rel));
  } catch (e) {
    if (isMountGone(e)) throw unavailable(ctx, rel, e);
    if (isAbsent(e)) return vanishedOrChanged(ctx, rel, e);
    return { status: 'unreadable', reason: `cannot list directory (${codeOf(e)})`, cause: e };
  }
  const warnings: [RelPath, string][] = [];
  const strayTemps: RelPath[] = [];
  const toProbe: RelPath[] = [];
  for (const name of names.map((b) => b.toString('latin1')).sort()) {
    if (rel === '' && name === STATE_DIR) continue;
    const childRel = joinPath(rel, name);
    if (name.startsWith(TEMP_PREFIX)) strayTemps.push(childRel);
    else if (!(ctx.ignore?.(childRel, false) && ctx.ignore(childRel, true))) toProbe.push(childRel);
  }
  const probes = await mapLimit(toProbe, LSTAT_PARALLEL, (p) => probe(ctx, p));
  const children: Child[] = [];
  for (const [i, p] of probes.entries()) {
    const rel = toProbe[i] ?? '';
    if (p.problem !== undefined) {
      return {
        status: 'unreadable',
        reason: `cannot examine ${display(rel)}: ${p.problem.reason}`,
        cause: p.problem.cause,
      };
    }
    if (p.warning !== undefined) warnings.push([rel, p.warning]);
    if (p.child !== undefined) children.push(p.child);
  }
  // The listing went through `rel` and its parents by name: if one was swapped for a symlink meanwhile, what
  // was listed may be outside the root. `rel/.` makes expectParents look at `rel` itself too.
  try {
    if (rel !== '') await expectParents(ctx.root, joinPath(rel, '.'), (ctx.io ?? pooledReader).lstat);
  } catch (e) {
    if (isMountGone(e)) throw unavailable(ctx, rel, e);
    return { status: 'unreadable', reason: 'replaced while scanned; will retry', cause: e };
  }
  // The root was listed by path: it must still be the folder it was before the readdir (not a bare mount
  // point that an unmount uncovered meanwhile, whose empty listing would read as "everything deleted").
  // Names that vanished from a listing are checked the same way.
  if (rel === '' || probes.some((p) => p.absent === true)) await assertSameRoot(ctx, rel);
  return { status: 'ok', children, warnings, strayTemps };
}

/** The root's identity for `rootId`; undefined if it cannot be examined (its listing then fails). */
async function rootIdOf(ctx: ListContext): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const st = await fsp.stat(absOf(ctx.root, ''));
    return { dev: st.dev, ino: st.ino };
  } catch (e) {
    if (isMountGone(e)) throw unavailable(ctx, '', e);
    return undefined;
  }
}

/**
 * Something at `rel` was missing: throws (remote-unavailable or local-unavailable) unless the root is still
 * the folder the scan started in, so that an unmount in the middle of a scan is never read as deletions.
 */
export async function assertSameRoot(ctx: ListContext, rel: RelPath): Promise<void> {
  const id = ctx.rootId;
  if (id === undefined) return;
  let why: string | undefined;
  let cause: unknown;
  try {
    const st = await fsp.stat(absOf(ctx.root, ''));
    if (st.dev !== id.dev || st.ino !== id.ino) why = 'it is now another folder or filesystem (unmounted?)';
  } catch (e) {
    why = `it cannot be examined any more (${codeOf(e)})`;
    cause = e;
  }
  if (why === undefined) return;
  const where = rel === '' ? '' : ` (noticed at ${display(rel)})`;
  throw new LazysyncError(
    ctx.side === 'remote' ? 'remote-unavailable' : 'local-unavailable',
    `${ctx.side} root ${display(ctx.root)} went away during the scan${where}: ${why}; nothing is read as deleted`,
    { cause },
  );
}

/** readdir said ENOENT/ENOTDIR: gone for good, or replaced by something else (then retry next pass). */
async function vanishedOrChanged(ctx: ListContext, rel: RelPath, cause: unknown): Promise<Listing> {
  try {
    await (ctx.io ?? pooledReader).lstat(absOf(ctx.root, rel));
  } catch (e) {
    if (isMountGone(e)) throw unavailable(ctx, rel, e);
    if (isAbsent(e)) {
      await assertSameRoot(ctx, rel);
      return { status: 'vanished', reason: 'vanished while scanned', cause };
    }
    return { status: 'unreadable', reason: `cannot examine directory (${codeOf(e)})`, cause: e };
  }
  return { status: 'unreadable', reason: 'replaced while scanned; will retry', cause };
}

/** Examines one path (lstat, placeholder check, ignore rules). Throws only for a dead mount. */
export async function probe(ctx: ListContext, rel: RelPath): Promise<Probe> {
  let o: Observation;
  try {
    o = await observe(ctx.root, rel, ctx.side, ctx.placeholderRoot, ctx.io);
  } catch (e) {
    if (isMountGone(e)) throw unavailable(ctx, rel, e);
    return { problem: { reason: codeOf(e), cause: e } };
  }
  if (o.found === 'absent') return { absent: true }; // vanished between readdir and lstat
  if (ctx.ignore?.(rel, o.found === 'entry' && o.entry.kind === 'dir')) return {};
  if (o.found === 'special') return { warning: `special file skipped (${o.special})` };
  const child = { rel, entry: o.entry };
  if (o.linkError !== undefined)
    return { child, warning: `cannot read link text (${codeOf(o.linkError)}); left alone` };
  return { child };
}
