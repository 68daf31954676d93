import { bundledMigrations, latestVersion } from './migrate.js';
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { comparePaths } from '../core/paths.js';
import type { Action, Entry, RelPath } from '../core/types.js';
import { Archive } from './archive.js';
import {
  rec,
  removeTempStateDirs,
  tD,
  tDr,
  tF0,
  tF1,
  tF1r,
  tFbig,
  tP,
  tSE,
  tSR,
  tSRr,
  tempStateDir,
} from '../../test/unit/archive.js';

/** The schema version this build ships (the number of bundled migrations). */
const SCHEMA = latestVersion(bundledMigrations());

/** A small seeded PRNG, so that a failing shuffle can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function trickyPaths(): RelPath[] {
  const names = [
    'a',
    'a-b',
    'a b',
    'a\xff',
    'a.txt',
    'A',
    'b',
    '\x01',
    'a\n',
    'caf\xc3\xa9',
    '\x7f',
    '~',
    '0',
    'ab',
    'a\x01',
  ];
  const set = new Set<RelPath>(names);
  for (const x of names)
    for (const y of ['a', 'a-b', 'x\xff', 'a b', '\n', 'A', 'a.b', '\xc3\xa9', 'a\xff', '-'])
      set.add(`${x}/${y}`);
  for (const x of ['a', 'a b', 'a\xff', 'a-b'])
    for (const y of ['a', 'a-b']) for (const z of ['z', 'a', '\x80']) set.add(`${x}/${y}/${z}`);
  set.add('a'.repeat(255));
  set.add(`${'\xff'.repeat(255)}/${'\xfe'.repeat(255)}`);
  return [...set];
}

describe('Archive', () => {
  after(removeTempStateDirs);

  it('creates the state folder (0700) and a WAL database marked as ours', () => {
    const sd = tempStateDir();
    const a = Archive.open(sd);
    assert.equal(statSync(sd).mode & 0o777, 0o700);
    assert.equal(a.file, join(sd, 'state.db'));
    assert.equal(a.getMeta('app'), 'lazysync');
    a.close();
    const db = new Database(join(sd, 'state.db'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA);
    db.close();
  });

  it('round-trips records of every kind, with byte names and exact mtimes', () => {
    const a = Archive.open(tempStateDir());
    const recs = [
      rec('', tD, tDr),
      rec('f', tF1, tF1r),
      rec('empty', tF0, tF0),
      rec('big', tFbig, tF1r),
      rec('d/e', tD, tDr),
      rec('link', tSR, tSRr),
      rec('empty-link', tSE, tSE),
      rec('lazy', tP, tF1r),
      rec('caf\xc3\xa9/na\xefve\xff', tF1, tF1r),
      rec('new\nline/\x01\x1f\x7f', tP, tF1r),
      rec(`${'\xff'.repeat(255)}/x`, tF1, tF1r),
    ];
    for (const r of recs) a.put(r);
    for (const r of recs) assert.deepEqual(a.get(r.path), r, JSON.stringify(r.path));
    assert.equal(a.get('missing'), undefined);
    assert.equal(a.get('f/'), undefined);
    assert.equal(a.count(), recs.length);
    // Absent target stays absent: no `target: undefined` key.
    assert.equal(Object.hasOwn(a.get('f')?.local ?? {}, 'target'), false);
    assert.equal(a.get('empty-link')?.local.target, '');
    a.close();
  });

  it('put replaces, delete removes, unreadable is not stored', () => {
    const a = Archive.open(tempStateDir());
    a.put(rec('x', tF1, tF1r));
    a.put(rec('x', tSR, tSRr));
    assert.deepEqual(a.get('x'), rec('x', tSR, tSRr));
    assert.equal(a.count(), 1);
    assert.equal(a.delete('x'), true);
    assert.equal(a.delete('x'), false);
    assert.equal(a.get('x'), undefined);
    a.put(rec('u', { ...tD, unreadable: true }, tDr));
    assert.deepEqual(a.get('u'), rec('u', tD, tDr));
    a.close();
  });

  it('refuses paths that are not binary strings and kinds that do not exist', () => {
    const a = Archive.open(tempStateDir());
    assert.throws(() => a.put(rec('caf\u00e9\u2603', tF1, tF1r)), TypeError);
    assert.throws(() => a.put(rec('a\0b', tF1, tF1r)), TypeError);
    assert.throws(() => a.put(rec('l', { ...tSR, target: '\u0100' }, tSRr)), TypeError);
    assert.throws(() => a.put(rec('k', { ...tF1, kind: 'fifo' as Entry['kind'] }, tF1r)), /CHECK constraint/);
    assert.throws(() => a.put(rec('s', { ...tF1, size: 1.5 }, tF1r)), /cannot store REAL value in INTEGER/);
    assert.equal(a.count(), 0);
    a.close();
  });

  it('pages in comparePaths order over a shuffled set of tricky paths', () => {
    const a = Archive.open(tempStateDir());
    const paths = trickyPaths();
    assert.ok(paths.length >= 180, `${paths.length} paths`);
    const shuffled = [...paths];
    const rand = rng(12345);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
    }
    a.transaction(() => {
      for (const p of shuffled) a.put(rec(p, tF1, p.length % 2 ? tDr : tF1r));
    });
    const expected = [...paths].sort(comparePaths);
    const got: RelPath[] = [];
    let last: RelPath | undefined;
    for (;;) {
      const page = a.page(last, 17);
      assert.ok(page.length <= 17);
      if (page.length === 0) break;
      got.push(...page.map((r) => r.path));
      last = page.at(-1)?.path;
    }
    assert.deepEqual(got, expected);
    assert.equal(a.count(), paths.length);
    assert.equal(a.countFiles(), paths.filter((p) => p.length % 2 === 0).length);
    // The classic trap: 'a', 'a/x', 'a-b' and 'a b' ('/' sorts below every byte of a name).
    const order = a.page(undefined, 1000).map((r) => r.path);
    const idx = (p: string) => order.indexOf(p);
    assert.ok(idx('a') < idx('a/a') && idx('a/a') < idx('a/x\xff') && idx('a/x\xff') < idx('a b'));
    assert.ok(idx('a b') < idx('a-b') && idx('a-b') < idx('a\xff') && idx('a\n') < idx('a b'));
    a.close();
  });

  it('pages after a path that is not in the archive, and from the root record', () => {
    const a = Archive.open(tempStateDir());
    for (const p of ['', 'a', 'a/x', 'a-b', 'b']) a.put(rec(p, tD, tDr));
    assert.deepEqual(
      a.page(undefined, 10).map((r) => r.path),
      ['', 'a', 'a/x', 'a-b', 'b'],
    );
    assert.deepEqual(
      a.page('', 10).map((r) => r.path),
      ['a', 'a/x', 'a-b', 'b'],
    );
    assert.deepEqual(
      a.page('a/zzz', 10).map((r) => r.path),
      ['a-b', 'b'],
    );
    assert.deepEqual(
      a.page('a', 2).map((r) => r.path),
      ['a/x', 'a-b'],
    );
    assert.deepEqual(a.page('b', 10), []);
    a.close();
  });

  it('transaction commits all or nothing, and nests', () => {
    const a = Archive.open(tempStateDir());
    assert.throws(() =>
      a.transaction(() => {
        a.put(rec('x', tF1, tF1r));
        a.setMeta('k', 'v');
        throw new Error('boom');
      }),
    );
    assert.equal(a.get('x'), undefined);
    assert.equal(a.getMeta('k'), undefined);
    const n = a.transaction(() => {
      a.put(rec('y', tF1, tF1r));
      assert.throws(() =>
        a.transaction(() => {
          a.put(rec('z', tF1, tF1r));
          throw new Error('inner');
        }),
      );
      return a.count();
    });
    assert.equal(n, 1);
    assert.deepEqual(
      a.page(undefined, 10).map((r) => r.path),
      ['y'],
    );
    a.close();
  });

  it('keeps meta, data and schema across reopen (migrations are idempotent)', () => {
    const sd = tempStateDir();
    const a = Archive.open(sd);
    a.setMeta('remote-root', '/mnt/r\xff');
    a.setMeta('first-sync-done', '1');
    a.setMeta('first-sync-done', '2');
    a.put(rec('f', tF1, tF1r));
    a.close();
    const b = Archive.open(sd);
    assert.equal(b.getMeta('remote-root'), '/mnt/r\xff');
    assert.equal(b.getMeta('first-sync-done'), '2');
    assert.equal(b.getMeta('app'), 'lazysync');
    assert.equal(b.getMeta('nope'), undefined);
    assert.deepEqual(b.get('f'), rec('f', tF1, tF1r));
    b.close();
    Archive.open(sd).close();
    const db = new Database(join(sd, 'state.db'), { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA);
    db.close();
  });

  it('local copies: total size, least recently opened first, remote dirs for the watch set', () => {
    const a = Archive.open(tempStateDir());
    const P: Entry = { kind: 'placeholder', size: 0, mtime: 0, mode: 0, ino: 0, target: '/r/p' };
    a.put(rec('d', tD, tDr));
    a.put(rec('d/e', tD, tDr));
    a.put(rec('d/old', tF1, tF1r));
    a.put(rec('d/new', tF1, tF1r));
    a.put(rec('d/never', tF1, tF1r));
    a.put(rec('d/ph', P, tF1r));
    assert.equal(a.localCopyBytes(), 3 * tF1.size);
    a.touch(['d/old'], 100);
    a.touch(['d/new'], 200);
    const order = a.leastRecentlyOpened(10, 0).map((r) => [r.path, r.lastOpen]);
    assert.deepEqual(order, [
      ['d/never', 0],
      ['d/old', 100],
      ['d/new', 200],
    ]);
    assert.deepEqual(
      a.leastRecentlyOpened(10, 2).map((r) => r.path),
      ['d/new'],
    );
    a.touch(['d/old'], 300);
    assert.deepEqual(
      a.leastRecentlyOpened(10, 0).map((r) => r.path),
      ['d/never', 'd/new', 'd/old'],
    );
    assert.deepEqual(a.remoteDirs(undefined, 10), ['d', 'd/e']);
    assert.deepEqual(a.remoteDirs('d', 10), ['d/e']);
    a.delete('d/old');
    assert.equal(a.localCopyBytes(), 2 * tF1.size);
    a.close();
  });

  it('moveTree moves a record and everything below it, with access times, and nothing beside it', () => {
    const a = Archive.open(tempStateDir());
    const P = (t: string): Entry => ({ kind: 'placeholder', size: 0, mtime: 0, mode: 0, ino: 0, target: t });
    const below = Array.from({ length: 1203 }, (_, i) => `d/f${i}`); // more than one page
    for (const path of ['d', 'd/e', 'd/e/x', 'd b', 'd-x', 'c', ...below]) a.put(rec(path, tF1, tF1r));
    a.put(rec('d/ph', P('/r/d/ph'), tF1r));
    a.touch(['d/e/x'], 500);
    const n = a.moveTree('d', 'n/m', (path, e) => (e.kind === 'placeholder' ? P(`/r/${path}`) : e));
    assert.equal(n, 4 + below.length);
    const paths: RelPath[] = [];
    for (let after: RelPath | undefined; ;) {
      const page = a.page(after, 1000);
      paths.push(...page.map((r) => r.path));
      if (page.length < 1000) break;
      after = page.at(-1)?.path;
    }
    assert.deepEqual(
      paths.filter((p) => !p.startsWith('n/m/f')),
      ['c', 'd b', 'd-x', 'n/m', 'n/m/e', 'n/m/e/x', 'n/m/ph'],
    );
    assert.equal(paths.filter((p) => p.startsWith('n/m/f')).length, below.length);
    assert.equal(a.get('n/m/ph')?.local.target, '/r/n/m/ph');
    assert.deepEqual(a.get('n/m/e/x')?.remote, tF1r);
    assert.deepEqual(
      a
        .leastRecentlyOpened(2000, 0)
        .filter((r) => r.lastOpen > 0)
        .map((r) => r.path),
      ['n/m/e/x'],
    );
    a.close();
  });

  it('puts 100k records in one transaction in reasonable time', (t) => {
    const a = Archive.open(tempStateDir());
    const start = performance.now();
    a.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        const p = `dir${i % 100}/sub${i % 7}/file-${i}.dat`;
        a.put(rec(p, { ...tF1, ino: i }, tF1r));
      }
    });
    const putMs = performance.now() - start;
    const readStart = performance.now();
    let n = 0;
    let last: RelPath | undefined;
    for (;;) {
      const page = a.page(last, 1000);
      if (page.length === 0) break;
      n += page.length;
      last = page.at(-1)?.path;
    }
    const readMs = performance.now() - readStart;
    const planStart = performance.now();
    a.planAddMany(
      Array.from({ length: 100_000 }, (_, i): Action => ({ op: 'download', path: `f${i}`, remote: tF1r })),
    );
    const planMs = performance.now() - planStart;
    t.diagnostic(
      `100k puts: ${putMs.toFixed(0)} ms; paged read: ${readMs.toFixed(0)} ms; 100k plan actions: ${planMs.toFixed(0)} ms`,
    );
    assert.equal(n, 100_000);
    assert.equal(a.count(), 100_000);
    assert.equal(a.planCount(), 100_000);
    a.close();
  });
});
