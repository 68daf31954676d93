// The executor's helpers that need only its context: progress and rate limit per chunk, byte comparisons,
// and free conflict names.
import { conflictName } from '../core/names.js';
import { baseName, joinPath, parentOf } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { absOf } from '../fsops/entry.js';
import { stampOf } from '../versions/stamp.js';
import { sameBytes } from './compare.js';
import type { ExecContext } from './exec-context.js';

/** A chunk callback reporting progress and applying the rate limit, or undefined when neither is wanted. */
export function chunkReporter(
  ctx: ExecContext,
  path: RelPath,
  direction: 'download' | 'upload',
  total: number,
): ((n: number) => Promise<void> | void) | undefined {
  const { onProgress: report, throttle } = ctx;
  if (report === undefined && throttle === undefined) return undefined;
  let bytes = 0;
  return (n) => {
    bytes += n;
    report?.({ path, direction, bytes, total, done: bytes >= total });
    return throttle?.(n);
  };
}

/**
 * Whether `path` holds the same bytes on both sides (files of `size` bytes), reported to onCompare. The
 * remote copy's bytes cross the link like a download's, so they count against the rate limit. The caller
 * marks the remote open as its own.
 */
export function sameOnBoth(ctx: ExecContext, path: RelPath, size: number): Promise<boolean> {
  const { localRoot, remoteRoot, onCompare: report, throttle } = ctx;
  let bytes = 0;
  const onChunk = (n: number): Promise<void> | undefined => {
    bytes += n;
    report?.({ path, bytes, total: size, done: false });
    return throttle?.(n);
  };
  return sameBytes(absOf(localRoot, path), absOf(remoteRoot, path), onChunk).finally(() =>
    report?.({ path, bytes, total: size, done: true }),
  );
}

/**
 * A conflict name for `path`, stamped `now`, at which nothing is (`taken` checks both sides and the archive:
 * a name just deleted on both sides is still recorded until the plan's `forget` of it, which must not drop
 * the new copy's record).
 */
export async function freeConflictPath(
  path: RelPath,
  now: number,
  taken: (candidate: RelPath) => Promise<boolean>,
): Promise<RelPath> {
  const stamp = stampOf(now);
  for (let n = 0; ; n++) {
    const candidate = joinPath(parentOf(path), conflictName(baseName(path), stamp, n));
    if (!(await taken(candidate))) return candidate;
  }
}
