// Which kept versions a retention rule removes: pure, the clock passed in. The rules are described in
// docs/design.md ("Versions and retention"); pruning (engine/prune.ts) feeds them the pair's ledger of
// versions one path at a time, then all that is left on one side, newest first, for the size budget.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** Staggered: versions younger than this are all kept. */
const KEEP_ALL_MS = HOUR_MS;
/** Staggered: one per hour up to this age, then one per day. */
const HOURLY_UNTIL_MS = DAY_MS;
/** Staggered: one per day up to this age, then one per week. */
const DAILY_UNTIL_MS = 30 * DAY_MS;

/** A pair's retention rule; a field left out does not limit. No field at all keeps everything. */
export interface RetentionRule {
  /** Versions made longer ago than this (ms) are removed. */
  maxAgeMs?: number;
  /** At most this many versions of one path on one side, the newest. */
  maxCount?: number;
  /** Thinning with age: all of the last hour, one per hour for a day, one per day for 30 days, one per week after. */
  staggered?: boolean;
  /** At most this many bytes of versions on one side, the newest that fit. */
  maxTotal?: number;
}

/** Why a version goes: the rule that removes it. */
export type PruneReason = 'age' | 'count' | 'staggered' | 'total';

export function hasRetention(rule: RetentionRule): boolean {
  return (
    rule.maxAgeMs !== undefined ||
    rule.maxCount !== undefined ||
    rule.staggered === true ||
    rule.maxTotal !== undefined
  );
}

/** A rule's per-path part: whether it can remove anything without the size budget. */
export function hasPerPathRule(rule: RetentionRule): boolean {
  return rule.maxAgeMs !== undefined || rule.maxCount !== undefined || rule.staggered === true;
}

/**
 * The per-path rules (age, count, staggered) over the versions of one path on one side, given newest first
 * (by `made`, ms): for each, the reason it is removed, or undefined where it is kept.
 */
export function prunePath(
  rule: RetentionRule,
  versions: readonly { made: number }[],
  now: number,
): (PruneReason | undefined)[] {
  const seenBuckets = new Set<string>();
  let kept = 0;
  return versions.map(({ made }) => {
    if (rule.maxAgeMs !== undefined && now - made > rule.maxAgeMs) return 'age';
    if (rule.staggered === true) {
      const bucket = staggeredBucket(made, now);
      if (bucket !== undefined) {
        // Newest first: the first version seen in a bucket is its newest, the one kept.
        if (seenBuckets.has(bucket)) return 'staggered';
        seenBuckets.add(bucket);
      }
    }
    if (rule.maxCount !== undefined && kept >= rule.maxCount) return 'count';
    kept++;
    return undefined;
  });
}

/**
 * The staggered rule's interval for a version made at `made`: undefined in the last hour (all kept), else
 * the hour, the UTC day or the week (counted from the epoch) it was made in, by its age. Intervals are fixed
 * in time, so a version kept at one prune is the one kept at the next until its interval widens.
 */
export function staggeredBucket(made: number, now: number): string | undefined {
  const age = now - made;
  if (age < KEEP_ALL_MS) return undefined;
  if (age < HOURLY_UNTIL_MS) return `h${Math.floor(made / HOUR_MS)}`;
  if (age < DAILY_UNTIL_MS) return `d${Math.floor(made / DAY_MS)}`;
  return `w${Math.floor(made / WEEK_MS)}`;
}

/**
 * The size budget of one side, fed the versions the per-path rules kept, newest first: true where this one
 * no longer fits (it and every older one go).
 */
export function overBudget(maxTotal: number): (size: number) => boolean {
  let total = 0;
  return (size) => {
    total += size;
    return total > maxTotal;
  };
}
