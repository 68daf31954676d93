import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from './size.js';

describe('parseSize', () => {
  const rows: [string, number | undefined][] = [
    ['0', 0],
    ['512', 512],
    ['4K', 4096],
    ['4k', 4096],
    ['4M', 4 * 2 ** 20],
    ['4MB', 4 * 2 ** 20],
    ['4MiB', 4 * 2 ** 20],
    ['1.5G', 1.5 * 2 ** 30],
    ['2T', 2 * 2 ** 40],
    [' 10 M ', 10 * 2 ** 20],
    ['', undefined],
    ['abc', undefined],
    ['-1M', undefined],
    ['4X', undefined],
    ['M', undefined],
    ['4MBB', undefined],
  ];
  for (const [text, want] of rows) {
    it(`'${text}' -> ${want}`, () => assert.equal(parseSize(text), want));
  }
});

describe('formatSize', () => {
  it('uses binary units', () => {
    assert.equal(formatSize(100), '100 B');
    assert.equal(formatSize(1536), '1.5 KiB');
    assert.equal(formatSize(300 * 2 ** 20), '300 MiB');
  });
});
