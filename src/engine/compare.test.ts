import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide } from '../core/decide.js';
import type { Action, Policy } from '../core/types.js';
import { T1, dir, file, placeholder } from '../../test/unit/entries.js';
import { bytesToCompare, comparesBytes, sameBytes } from './compare.js';

const policy: Policy = { lazy: true };

describe('comparesBytes / bytesToCompare', () => {
  it('only two files of one size are compared', () => {
    assert.equal(comparesBytes(file(10, T1), file(10, T1 + 1)), true);
    assert.equal(comparesBytes(file(10, T1), file(11, T1)), false);
    assert.equal(comparesBytes(file(10, T1), dir()), false);
    assert.equal(comparesBytes(placeholder('/r/a'), file(10, T1)), false);
    assert.equal(comparesBytes(undefined, file(10, T1)), false);
  });

  it("counts a first sync's files that agree in size and mtime second", () => {
    const actions = decide('a', undefined, file(5000, T1), file(5000, T1), policy);
    assert.equal(actions.length, 1);
    assert.equal(actions[0]?.op, 'conflict');
    assert.equal(bytesToCompare(actions[0] as Action), 5000);
  });

  it('counts conflicts between files of one size and downloads unless the same; nothing else', () => {
    const conflict = (size: number): Action => ({
      op: 'conflict',
      path: 'a',
      local: file(100, T1),
      remote: file(size, T1),
      winner: 'local',
    });
    assert.equal(bytesToCompare(conflict(100)), 100);
    assert.equal(bytesToCompare(conflict(101)), 0);
    const download: Action = {
      op: 'download',
      path: 'a',
      local: file(7, T1),
      remote: file(7, T1),
      unlessSame: true,
    };
    assert.equal(bytesToCompare(download), 7);
    assert.equal(bytesToCompare({ ...download, unlessSame: undefined } as Action), 0);
    assert.equal(bytesToCompare({ op: 'upload', path: 'a', local: file(7, T1), remote: file(7, T1) }), 0);
  });
});

describe('sameBytes', () => {
  it('reports each compared chunk and stops at the first difference', async () => {
    const d = await mkdtemp(join(tmpdir(), 'lazysync-compare-'));
    try {
      const big = Buffer.alloc(2.5 * 1024 * 1024, 7);
      const other = Buffer.from(big);
      other[big.length - 1] = 8;
      await writeFile(join(d, 'a'), big);
      await writeFile(join(d, 'b'), big);
      await writeFile(join(d, 'c'), other);
      const path = (n: string): Buffer => Buffer.from(join(d, n));
      const chunks: number[] = [];
      assert.equal(await sameBytes(path('a'), path('b'), (n) => void chunks.push(n)), true);
      assert.deepEqual(chunks, [1024 * 1024, 1024 * 1024, 512 * 1024]);
      chunks.length = 0;
      assert.equal(await sameBytes(path('a'), path('c'), (n) => void chunks.push(n)), false);
      assert.deepEqual(chunks, [1024 * 1024, 1024 * 1024]);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('waits for its chunk callback before reading on (a rate limit holds the reads back)', async () => {
    const d = await mkdtemp(join(tmpdir(), 'lazysync-compare-'));
    try {
      const data = Buffer.alloc(3 * 1024 * 1024, 1);
      await writeFile(join(d, 'a'), data);
      await writeFile(join(d, 'b'), data);
      let pending = 0;
      let most = 0;
      let calls = 0;
      const same = await sameBytes(Buffer.from(join(d, 'a')), Buffer.from(join(d, 'b')), async () => {
        calls++;
        most = Math.max(most, ++pending);
        // Long enough for reads of the page cache to run ahead, were they not held back.
        await new Promise((resolve) => setTimeout(resolve, 20));
        pending--;
      });
      assert.equal(same, true);
      assert.equal(calls, 3);
      assert.equal(most, 1, 'a chunk was read while the callback for the one before still held');
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
