import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  HOUR_MS,
  WEEK_MS,
  hasRetention,
  overBudget,
  prunePath,
  staggeredBucket,
  type PruneReason,
  type RetentionRule,
} from './retention.js';

// The clock every row runs at: Friday 2026-12-04 12:00:00 UTC.
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const MIN = 60_000;

/** Versions made `ages` ago (newest first, as the ledger gives them), and what the rule says of each. */
function verdicts(rule: RetentionRule, ages: number[]): (PruneReason | '-')[] {
  return prunePath(
    rule,
    ages.map((a) => ({ made: NOW - a })),
    NOW,
  ).map((r) => r ?? '-');
}

describe('prunePath: which versions of one path a rule keeps (newest first; "-" is kept)', () => {
  const rows: [string, RetentionRule, number[], (PruneReason | '-')[]][] = [
    ['no rule keeps everything', {}, [MIN, DAY_MS, 400 * DAY_MS], ['-', '-', '-']],
    [
      'max age 30d removes what is older, keeps what is exactly 30d old',
      { maxAgeMs: 30 * DAY_MS },
      [MIN, 30 * DAY_MS, 30 * DAY_MS + 1, 90 * DAY_MS],
      ['-', '-', 'age', 'age'],
    ],
    ['max count 2 keeps the two newest', { maxCount: 2 }, [1, 2, 3, 4], ['-', '-', 'count', 'count']],
    ['max count 1 of a single version keeps it', { maxCount: 1 }, [400 * DAY_MS], ['-']],
    [
      'age and count together: each removes what it removes',
      { maxAgeMs: 7 * DAY_MS, maxCount: 2 },
      [MIN, 2 * MIN, 3 * MIN, 8 * DAY_MS],
      ['-', '-', 'count', 'age'],
    ],
    [
      'staggered keeps every version of the last hour',
      { staggered: true },
      [1, MIN, 30 * MIN, 59 * MIN],
      ['-', '-', '-', '-'],
    ],
    [
      'staggered keeps the newest of each hour for a day',
      { staggered: true },
      // 11:00-12:00 is the last hour; 10:10 and 10:50 share the hour 10:00-11:00; 09:30 is alone in its own.
      [70 * MIN, 110 * MIN, 150 * MIN],
      ['-', 'staggered', '-'],
    ],
    [
      'staggered keeps the newest of each UTC day up to 30 days',
      { staggered: true },
      // 3 days ago at 10:00, 3 days ago at 02:00 (same day), 4 days ago at 23:00.
      [3 * DAY_MS + 2 * HOUR_MS, 3 * DAY_MS + 10 * HOUR_MS, 4 * DAY_MS - 11 * HOUR_MS],
      ['-', 'staggered', '-'],
    ],
    [
      'staggered keeps the newest of each week after 30 days',
      { staggered: true },
      // Weeks are counted from the epoch (a Thursday): NOW - 40d is a Wednesday 12:00, 3 h later the same week.
      [40 * DAY_MS, 40 * DAY_MS + 3 * HOUR_MS, 40 * DAY_MS + WEEK_MS],
      ['-', 'staggered', '-'],
    ],
    [
      'staggered then count: thinned versions do not use up the count',
      { staggered: true, maxCount: 2 },
      [MIN, 70 * MIN, 71 * MIN, 3 * DAY_MS],
      ['-', '-', 'staggered', 'count'],
    ],
    [
      'age wins over staggered for old versions',
      { staggered: true, maxAgeMs: 2 * DAY_MS },
      [MIN, 3 * DAY_MS],
      ['-', 'age'],
    ],
  ];
  for (const [name, rule, ages, want] of rows) {
    it(name, () => assert.deepEqual(verdicts(rule, ages), want));
  }

  it('is the same at the next prune for what is kept (intervals are fixed in time)', () => {
    const rule = { staggered: true };
    const made = [NOW - 70 * MIN, NOW - 110 * MIN, NOW - 150 * MIN].map((m) => ({ made: m }));
    const first = prunePath(rule, made, NOW);
    const kept = made.filter((_, i) => first[i] === undefined);
    assert.deepEqual(prunePath(rule, kept, NOW + 5 * MIN), [undefined, undefined]);
  });
});

describe('staggeredBucket', () => {
  it('is undefined in the last hour and names hour, day and week intervals after', () => {
    assert.equal(staggeredBucket(NOW - 59 * MIN, NOW), undefined);
    assert.match(staggeredBucket(NOW - 61 * MIN, NOW) ?? '', /^h\d+$/);
    assert.match(staggeredBucket(NOW - 25 * HOUR_MS, NOW) ?? '', /^d\d+$/);
    assert.match(staggeredBucket(NOW - 31 * DAY_MS, NOW) ?? '', /^w\d+$/);
  });
});

describe('overBudget', () => {
  it('keeps the newest versions that fit; once one does not, it and every older one go', () => {
    const over = overBudget(100);
    assert.deepEqual(
      [40, 60, 1, 30, 0].map((s) => over(s)),
      [false, false, true, true, true],
    );
  });
  it('a first version larger than the budget goes', () => {
    assert.equal(overBudget(10)(11), true);
  });
});

describe('hasRetention', () => {
  it('is false only for the empty rule', () => {
    assert.equal(hasRetention({}), false);
    assert.equal(hasRetention({ staggered: false }), false);
    assert.equal(hasRetention({ maxTotal: 0 }), true);
    assert.equal(hasRetention({ maxCount: 3 }), true);
  });
});
