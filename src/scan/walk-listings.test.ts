import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaths } from '../core/paths.js';
import type { Entry, RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import type { Listing } from './listdir.js';
import { walkListings } from './walk.js';

// A synthetic tree for the ordered walk: dir `p` has subdirectories p/0..p/(fanout-1) down to `depth`,
// plus one file each; listings resolve after `delay` ms.
function fakeTree(fanout: number, depth: number, delay: number) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0, listed: [] as RelPath[] };
  const dirE: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
  const fileE: Entry = { kind: 'file', size: 1, mtime: 1000, mode: 0o644, ino: 0 };
  const list = async (rel: RelPath): Promise<Listing> => {
    stats.calls++;
    stats.listed.push(rel);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((r) => setTimeout(r, delay));
    stats.inFlight--;
    const level = rel === '' ? 0 : rel.split('/').length;
    const children = [{ rel: rel === '' ? 'f' : `${rel}/f`, entry: fileE }];
    if (level < depth) {
      for (let i = 0; i < fanout; i++)
        children.push({ rel: rel === '' ? `${i}` : `${rel}/${i}`, entry: dirE });
    }
    children.sort((x, y) => comparePaths(x.rel, y.rel));
    return { status: 'ok', children, warnings: [], strayTemps: [] };
  };
  return { list, stats };
}

const hooks = { rootFailed: () => new Error('root failed') };

describe('walkListings: ordering, overlap and the prefetch bound', () => {
  it('yields a 1,110-directory tree in order, listing each directory once, with listings overlapping', async () => {
    const { list, stats } = fakeTree(10, 3, 1);
    const limit = 8;
    const maxBuffered = 55; // entries: five listings of 11 (ten subdirectories and a file)
    const got: RelPath[] = [];
    let yieldedDirs = 0;
    let worstAhead = 0;
    const counted = async (rel: RelPath): Promise<Listing> => {
      // started and not yet yielded, beyond the root (the walk may hold one taken but not yet yielded)
      worstAhead = Math.max(worstAhead, stats.calls + 1 - 1 - yieldedDirs);
      return list(rel);
    };
    for await (const [p, e] of walkListings(counted, limit, hooks, undefined, maxBuffered)) {
      got.push(p);
      if (e.kind === 'dir') yieldedDirs++;
    }
    assert.deepEqual(got, [...got].sort(comparePaths));
    assert.equal(got.length, 1110 + 1111); // the dirs below the root, and one file in every dir
    assert.equal(stats.calls, 1111);
    assert.equal(new Set(stats.listed).size, 1111);
    assert.ok(stats.maxInFlight >= 2, `listings overlap (max in flight ${stats.maxInFlight})`);
    assert.ok(stats.maxInFlight <= limit + 1, `at most limit+1 in flight, saw ${stats.maxInFlight}`);
    // In flight plus done and kept: at most limit + maxBuffered / 11 (+1 overshoot, +1 taken, +1 forced).
    assert.ok(worstAhead <= limit + 5 + 3, `listings ahead of the consumer stay bounded, saw ${worstAhead}`);
  });

  it('keeps its slots busy while the listing it waits for is slow', async () => {
    const { list: fast, stats } = fakeTree(10, 2, 0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const list = async (rel: RelPath): Promise<Listing> => {
      if (rel === '0') await gate; // the first directory the walk enters is slow to list
      return fast(rel);
    };
    const limit = 4;
    const it = walkListings(list, limit, hooks);
    const first = it.next(); // pending until '0' is listed
    // Everything but '0' (still waiting) and its subdirectories (unknown) can be listed meanwhile: the root,
    // '1'..'9' and their ten subdirectories each.
    const deadline = Date.now() + 5000;
    while (stats.calls < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(stats.calls, 100, `other listings went on while '0' was slow: ${stats.calls} started`);
    release();
    const got: RelPath[] = [];
    const r = await first;
    if (!r.done) got.push(r.value[0]);
    for await (const [p] of it) got.push(p);
    assert.deepEqual(got, [...got].sort(comparePaths));
    assert.equal(new Set(stats.listed).size, 111);
  });

  it('stops prefetching while the consumer does not pull (once maxBuffered entries are kept), and after it stops', async () => {
    const { list, stats } = fakeTree(50, 2, 0);
    const limit = 4;
    const it = walkListings(list, limit, hooks, undefined, 102); // two listings of 51 entries
    await it.next();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(stats.calls <= 1 + 2 + limit, `root + what fills the buffer + in flight, saw ${stats.calls}`);
    await it.return(undefined);
    const callsAtClose = stats.calls;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stats.calls, callsAtClose, 'nothing is started after the walk is closed');
  });

  it('skips a vanished directory and marks an unreadable one, warning once', async () => {
    const dirE: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
    const listings: Record<string, Listing> = {
      '': {
        status: 'ok',
        children: ['gone', 'locked', 'ok'].map((rel) => ({ rel, entry: dirE })),
        warnings: [],
        strayTemps: [],
      },
      gone: { status: 'vanished', reason: 'vanished', cause: undefined },
      locked: { status: 'unreadable', reason: 'cannot list directory (EACCES)', cause: undefined },
      ok: { status: 'ok', children: [], warnings: [['ok/p', 'special file skipped (fifo)']], strayTemps: [] },
    };
    const warnings: [RelPath, string][] = [];
    const got: [RelPath, Entry][] = [];
    for await (const pair of walkListings(async (rel) => listings[rel] as Listing, 2, {
      ...hooks,
      onWarning: (p, m) => warnings.push([p, m]),
    })) {
      got.push(pair);
    }
    assert.deepEqual(got, [
      ['locked', { ...dirE, unreadable: true }],
      ['ok', dirE],
    ]);
    assert.deepEqual(warnings, [
      ['locked', 'cannot list directory (EACCES); nothing below it is synced'],
      ['ok/p', 'special file skipped (fifo)'],
    ]);
  });

  it('propagates an error thrown by a listing (a dead mount) instead of yielding less', async () => {
    const gone = new LazysyncError('remote-unavailable', 'remote root /r is unavailable: ENOTCONN');
    const { list } = fakeTree(3, 2, 0);
    const failing = async (rel: RelPath): Promise<Listing> => {
      if (rel === '1/2') throw gone;
      return list(rel);
    };
    const got: RelPath[] = [];
    await assert.rejects(
      (async () => {
        for await (const [p] of walkListings(failing, 4, hooks)) got.push(p);
      })(),
      (e) => e === gone,
    );
    assert.equal(got.includes('1/2'), false);
    assert.equal(got.includes('2'), false, 'nothing after the failed directory is yielded');
  });

  it('throws rootFailed when the root does not list', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of walkListings(
          async () => ({ status: 'vanished', reason: 'x', cause: undefined }),
          2,
          hooks,
        ));
      })(),
      { message: 'root failed' },
    );
  });
});
