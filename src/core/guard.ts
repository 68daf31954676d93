// The mass-delete guard: a pass that would delete too much of one side stops and asks first.
import type { Action, Side } from './types.js';

/** Up to this many deletions per side never trigger the guard, whatever the share. */
export const HANDFUL = 5;

export type DeleteCounts = Record<Side, number>;

export type DeleteVerdict =
  { ok: true } | { ok: false; side: Side; count: number; total: number; message: string };

/**
 * True if `a` deletes a non-directory (a file, a user symlink or a placeholder) on its side. Directories
 * are not counted: they are only removed once empty, so their contents were already counted.
 */
export function isDeletion(a: Action): a is Extract<Action, { op: 'remove' }> {
  return a.op === 'remove' && a[a.side]?.kind !== 'dir';
}

/** Counts deletions per side as a streamed plan goes by, so the plan need not be held in memory. */
export class DeleteCounter {
  private readonly n: DeleteCounts = { local: 0, remote: 0 };

  add(a: Action): void {
    if (isDeletion(a)) this.n[a.side]++;
  }

  get counts(): DeleteCounts {
    return { ...this.n };
  }

  check(totalFiles: number | DeleteCounts, maxDeletePercent: number): DeleteVerdict {
    return checkDeletes(this.n, totalFiles, maxDeletePercent);
  }
}

export function countDeletions(actions: Iterable<Action>): DeleteCounts {
  const c = new DeleteCounter();
  for (const a of actions) c.add(a);
  return c.counts;
}

/**
 * Vetoes a pass that deletes more than a handful of files on one side AND more than `maxDeletePercent`
 * of that side's `totalFiles` (one number for both sides, or one per side). When both sides exceed, the
 * larger share is reported.
 */
export function checkDeletes(
  counts: DeleteCounts,
  totalFiles: number | DeleteCounts,
  maxDeletePercent: number,
): DeleteVerdict {
  let verdict: DeleteVerdict = { ok: true };
  let worst = -1;
  for (const side of ['local', 'remote'] as const) {
    const count = counts[side];
    const total = typeof totalFiles === 'number' ? totalFiles : totalFiles[side];
    if (count <= HANDFUL || count * 100 <= maxDeletePercent * total) continue;
    const share = total > 0 ? count / total : Infinity;
    if (share <= worst) continue;
    worst = share;
    const percent = total > 0 ? `${Math.round(share * 100)}%` : 'all';
    verdict = {
      ok: false,
      side,
      count,
      total,
      message:
        `this pass would delete ${count} of ${total} files on the ${side} side (${percent}, more than ` +
        `the ${maxDeletePercent}% allowed)`,
    };
  }
  return verdict;
}
