import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  displayPath,
  displayText,
  formatAgo,
  formatDuration,
  formatIso,
  formatMs,
  formatProgress,
  formatRate,
  formatStamp,
  parseAt,
  parseStamp,
  plural,
  renderTable,
  shellArg,
} from './format.js';

describe('parseStamp / formatStamp', () => {
  it('reads a real YYYYMMDD-HHMMSS as UTC', () => {
    assert.equal(parseStamp('20261128-101500')?.toISOString(), '2026-11-28T10:15:00.000Z');
    assert.equal(formatStamp('20261128-101500'), '2026-11-28 10:15:00 UTC');
    assert.equal(formatStamp('20240229-235959'), '2024-02-29 23:59:59 UTC');
  });
  const bad = [
    '',
    '2026112-101500',
    '20261128101500',
    '20261128-1015',
    '20261328-101500',
    '20230229-000000',
    '20261128-246000',
    '20261128-105960',
    '2026-11-28',
    ' 20261128-101500',
    '20261128-101500-1',
  ];
  for (const s of bad) {
    it(`rejects '${s}'`, () => assert.equal(parseStamp(s), undefined));
  }
  it('shows anything else as it is, escaped', () => assert.equal(formatStamp('x\ny'), 'x\\ny'));
});

describe('parseAt: what restore --at takes, as a version key', () => {
  const now = Date.UTC(2026, 11, 4, 12, 0, 0);
  const rows: [string, string | undefined][] = [
    ['20261128-101500', '20261128-101500'],
    ['20261128-101500-1', '20261128-101500-1'],
    ['2026-11-28 10:15', '20261128-101500'],
    ['2026-11-28 10:15:07 UTC', '20261128-101507'],
    ['2026-11-28T10:15:07Z', '20261128-101507'],
    ['2026-11-28', '20261128-000000'],
    ['2h', '20261204-100000'],
    ['3d', '20261201-120000'],
    ['20261332-000000', undefined],
    ['2026-02-30', undefined],
    ['yesterday', undefined],
    ['10:15', undefined],
    ['20261128-101500-', undefined],
  ];
  for (const [text, want] of rows) {
    it(`'${text}' -> ${want}`, () => assert.equal(parseAt(text, now), want));
  }
});

describe('formatIso', () => {
  it('shows ISO times in UTC, null as -', () => {
    assert.equal(formatIso('2026-11-28T10:15:00.123Z'), '2026-11-28 10:15:00 UTC');
    assert.equal(formatIso(null), '-');
    assert.equal(formatIso('soon'), 'soon');
  });
});

describe('formatDuration', () => {
  const rows: [number, string][] = [
    [0, '0 s'],
    [0.2, '1 s'],
    [1.5, '2 s'],
    [59, '59 s'],
    [60, '1 min'],
    [125, '2 min 5 s'],
    [3600, '1 h'],
    [3900, '1 h 5 min'],
    [86400 + 4 * 3600 + 59, '1 d 4 h'],
    [-1, '?'],
    [Infinity, '?'],
    [NaN, '?'],
  ];
  for (const [s, want] of rows) it(`${s} -> ${want}`, () => assert.equal(formatDuration(s), want));
});

describe('formatMs', () => {
  it('ms, then tenths of seconds, then as a duration', () => {
    assert.equal(formatMs(840), '840 ms');
    assert.equal(formatMs(1234), '1.2 s');
    assert.equal(formatMs(75_000), '1 min 15 s');
  });
});

describe('formatAgo', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const rows: [string, string][] = [
    ['2026-11-28T12:00:00Z', 'just now'],
    ['2026-11-28T12:00:05Z', 'just now'], // a clock a little ahead is not "in the future"
    ['2026-11-28T11:59:48Z', '12 s ago'],
    ['2026-11-28T11:57:00Z', '3 min ago'],
    ['2026-11-28T07:00:00Z', '5 h ago'],
    ['2026-11-27T11:00:00Z', '1 day ago'],
    ['2026-11-20T12:00:00Z', '8 days ago'],
    ['not a time', 'not a time'],
  ];
  for (const [then, want] of rows) it(`${then} -> ${want}`, () => assert.equal(formatAgo(then, now), want));
  it('takes a Date too', () => assert.equal(formatAgo(new Date(now.getTime() - 90_000), now), '1 min ago'));
});

describe('sizes and counts', () => {
  it('rates, progress, plurals', () => {
    assert.equal(formatRate(2 * 2 ** 20), '2.0 MiB/s');
    assert.equal(formatRate(-1), '?');
    assert.equal(formatProgress(2 ** 20, 4 * 2 ** 20), '1.0 MiB / 4.0 MiB (25%)');
    assert.equal(formatProgress(0, 0), '0 B / 0 B (100%)');
    assert.equal(plural(1, 'file'), '1 file');
    assert.equal(plural(12, 'file'), '12 files');
    assert.equal(plural(0, 'copy', 'copies'), '0 copies');
  });
});

describe('displayText', () => {
  it('escapes control characters so a name cannot break a line or drive the terminal', () => {
    assert.equal(displayText('a\nb\tc\rd'), 'a\\nb\\tc\\rd');
    assert.equal(displayText('\x1b[2Jx\x7f'), '\\x1b[2Jx\\x7f');
    assert.equal(displayText('\u009b31m'), '\\u009b31m');
  });
  it('leaves printable text alone, including non-ASCII and the \\xNN of display form', () => {
    assert.equal(displayText('Ünïcødé 文件 \\xff.txt'), 'Ünïcødé 文件 \\xff.txt');
  });
  it('shows the root of a pair as .', () => {
    assert.equal(displayPath(''), '.');
    assert.equal(displayPath('a/b'), 'a/b');
  });
});

describe('renderTable', () => {
  it('aligns columns two spaces apart, numbers to the right, with no trailing spaces', () => {
    const lines = renderTable(
      ['NAME', 'N', 'NOTE'],
      [
        ['a', '5', ''],
        ['longer', '123', 'x'],
      ],
      [1],
    );
    assert.deepEqual(lines, ['NAME      N  NOTE', 'a         5', 'longer  123  x']);
  });
});

describe('shellArg', () => {
  it('quotes only when needed', () => {
    assert.equal(shellArg('projects'), 'projects');
    assert.equal(shellArg('my pair'), "'my pair'");
    assert.equal(shellArg("it's"), `'it'\\''s'`);
  });
});
