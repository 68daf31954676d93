import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const rows: [string, number | undefined][] = [
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['2w', 14 * 86_400_000],
    ['1.5h', 90 * 60_000],
    [' 7 D ', 7 * 86_400_000],
    ['0d', undefined],
    ['30', undefined],
    ['30s', undefined],
    ['d', undefined],
    ['-1d', undefined],
    ['1y', undefined],
  ];
  for (const [text, want] of rows) {
    it(`'${text}' -> ${want}`, () => assert.equal(parseDuration(text), want));
  }
});

describe('formatDuration', () => {
  it('writes the largest whole unit, which parseDuration reads back', () => {
    for (const [ms, text] of [
      [14 * 86_400_000, '2w'],
      [30 * 86_400_000, '30d'],
      [36 * 3_600_000, '36h'],
      [90 * 60_000, '90m'],
    ] as const) {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    }
  });
});
