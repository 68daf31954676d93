// What a request for one file's local state (an open, `pin`, `free`, the cache limit) asks for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eviction, freeing, hydration, overCacheMax } from './requests.js';
import type { Policy } from './types.js';
import { lazy, lF1, P, pinned, rD, rec, rF1, rF2 } from '../../test/unit/entries.js';

const upTo150: Policy = { lazy: true, maxSize: 150 };

describe('hydration: what an open or a pin of a placeholder asks for', () => {
  const rows: {
    desc: string;
    policy: Policy;
    local: typeof P;
    remote: typeof rF1 | undefined;
    want: string;
  }[] = [
    {
      desc: 'a placeholder of a remote file: download it',
      policy: lazy,
      local: P,
      remote: rF1,
      want: 'step',
    },
    {
      desc: 'already a local copy: nothing',
      policy: lazy,
      local: lF1,
      remote: rF1,
      want: 'not a placeholder',
    },
    {
      desc: 'the remote file is gone: nothing (the next pass sorts it out)',
      policy: lazy,
      local: P,
      remote: undefined,
      want: 'not a file on the remote',
    },
    {
      desc: 'the remote is now a folder: nothing',
      policy: lazy,
      local: P,
      remote: rD,
      want: 'not a file on the remote',
    },
    { desc: 'within --max-size: download', policy: upTo150, local: P, remote: rF1, want: 'step' },
    {
      desc: 'over --max-size: reads go to the remote',
      policy: upTo150,
      local: P,
      remote: rF2,
      want: 'larger than --max-size',
    },
    {
      desc: 'over --max-size but pinned: download',
      policy: { ...upTo150, isPinned: () => true },
      local: P,
      remote: rF2,
      want: 'step',
    },
  ];
  for (const row of rows) {
    it(row.desc, () => {
      const h = hydration(row.policy, rec('a/p', row.local, rF1), row.remote);
      if (row.want === 'step') {
        assert.deepEqual(h, { step: { op: 'download', path: 'a/p', local: row.local, remote: row.remote } });
      } else assert.deepEqual(h, { skip: row.want });
    });
  }
  it('a path the archive does not know: nothing', () => {
    assert.deepEqual(hydration(lazy, undefined, rF1), { skip: 'not a placeholder' });
  });
});

describe('freeing: what `free` or the cache limit asks for', () => {
  it('a clean local copy of a remote file can be freed', () => {
    const r = rec('a/p', lF1, rF1);
    assert.deepEqual(freeing(lazy, r), { free: r });
  });
  it('a pinned copy is refused, with what to do', () => {
    assert.deepEqual(freeing(pinned, rec('a/p', lF1, rF1)), { refuse: 'pinned: unpin it first' });
  });
  it('a placeholder, a folder or an unknown path: nothing to free', () => {
    assert.equal(freeing(lazy, rec('a/p', P, rF1)), undefined);
    assert.equal(freeing(lazy, rec('a/p', lF1, rD)), undefined);
    assert.equal(freeing(lazy, undefined), undefined);
  });
});

describe('the --cache-max limit', () => {
  const limited: Policy = { lazy: true, cacheMax: 1000 };
  it('over the limit only beyond it, and never without one', () => {
    assert.equal(overCacheMax(limited, 1000), false);
    assert.equal(overCacheMax(limited, 1001), true);
    assert.equal(overCacheMax(lazy, 10 ** 12), false);
  });
  it('a clean copy is freed; one open now is kept and counted; a pinned one is kept and not counted', () => {
    const r = rec('a/p', lF1, rF1);
    assert.equal(eviction(limited, r, false), 'free');
    assert.equal(eviction(limited, r, true), 'keep');
    assert.equal(eviction({ ...limited, isPinned: () => true }, r, false), 'uncounted');
  });
});
