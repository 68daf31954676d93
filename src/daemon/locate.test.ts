import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from './http.js';
import { groupByPair, locatePath } from './locate.js';

const roots = [
  { name: 'p', local: '/home/me/p' },
  { name: 'inner', local: '/home/me/p/deep/inner' },
  { name: 'pq', local: '/home/me/pq' },
];

function assertApiError(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('locatePath', () => {
  it('finds the pair whose local folder holds the path, the longest root winning', () => {
    assert.deepEqual(locatePath('/home/me/p/a/b.txt', roots), {
      pair: 'p',
      rel: 'a/b.txt',
      shown: 'a/b.txt',
    });
    assert.deepEqual(locatePath('/home/me/p/deep/inner/x', roots), { pair: 'inner', rel: 'x', shown: 'x' });
    assert.deepEqual(locatePath('/home/me/pq/x', roots), { pair: 'pq', rel: 'x', shown: 'x' });
    assert.deepEqual(locatePath('/home/me/p', roots), { pair: 'p', rel: '', shown: '' });
    assert.deepEqual(locatePath('/home/me/p/', roots), { pair: 'p', rel: '', shown: '' });
  });

  it('normalizes . and .. lexically, so .. cannot climb out of a root', () => {
    assert.equal(locatePath('/home/me/p/a/../b//./c', roots).rel, 'b/c');
    assertApiError(
      () => locatePath('/home/me/p/../secret', roots),
      'not-found',
      "/home/me/secret is not inside any pair's local folder",
    );
    assertApiError(
      () => locatePath('/home/me/pq/../p2/x', roots),
      'not-found',
      /p2\/x is not inside any pair/,
    );
  });

  it('gives the runner bytes (one char per byte) and answers with the display form', () => {
    const loc = locatePath('/home/me/p/caf\u00e9/\u65e5.txt', roots);
    assert.equal(loc.rel, Buffer.from('caf\u00e9/\u65e5.txt', 'utf8').toString('latin1'));
    assert.equal(loc.shown, 'caf\u00e9/\u65e5.txt');
  });

  it('refuses relative paths, NUL bytes and lazysync state', () => {
    assertApiError(() => locatePath('p/a', roots), 'bad-request', '"p/a" is not an absolute path');
    assertApiError(
      () => locatePath('/home/me/p/a\0b', roots),
      'bad-request',
      'a path must not contain NUL bytes',
    );
    assertApiError(
      () => locatePath('/home/me/p/.lazysync/state.db', roots),
      'bad-request',
      /lazysync's own state folder/,
    );
    assertApiError(
      () => locatePath('/home/me/p/.lazysync', roots),
      'bad-request',
      /lazysync's own state folder/,
    );
    assert.equal(locatePath('/home/me/p/a/.lazysync', roots).rel, 'a/.lazysync');
  });

  it('matches a root through its real path when it was configured through a symlink', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lazysync-locate-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    const r = [{ name: 'a', local: join(dir, 'alias') }];
    assert.deepEqual(locatePath(join(dir, 'real', 'x'), r), { pair: 'a', rel: 'x', shown: 'x' });
    assert.deepEqual(locatePath(join(dir, 'alias', 'x'), r), { pair: 'a', rel: 'x', shown: 'x' });
  });
});

describe('groupByPair', () => {
  it('groups paths by pair in first-seen order, and fails before anything if one path is in no pair', () => {
    const g = groupByPair(['/home/me/pq/1', '/home/me/p/2', '/home/me/pq/3'], roots);
    assert.deepEqual(
      [...g].map(([k, v]) => [k, v.map((l) => l.rel)]),
      [
        ['pq', ['1', '3']],
        ['p', ['2']],
      ],
    );
    assertApiError(
      () => groupByPair(['/home/me/p/1', '/elsewhere'], roots),
      'not-found',
      /\/elsewhere is not inside/,
    );
  });
});
