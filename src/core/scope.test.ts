import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scopesOf } from './scope.js';

const known =
  (...dirs: string[]) =>
  (p: string) =>
    dirs.includes(p);

test('changed paths in known folders are their own scopes, in order', () => {
  assert.deepEqual(scopesOf(['b/x', 'a', 'b/y'], known('b')), ['a', 'b/x', 'b/y']);
});

test('a path inside another changed path is covered by it', () => {
  assert.deepEqual(scopesOf(['d/e/f', 'd', 'd/e'], known('d', 'd/e')), ['d']);
});

test('a change inside a folder the archive does not know widens to that folder', () => {
  assert.deepEqual(scopesOf(['new/sub/f'], known()), ['new']);
  assert.deepEqual(scopesOf(['k/new/f'], known('k')), ['k/new']);
});

test("the root is everything; '/' sorts lowest so a subtree is contiguous", () => {
  assert.deepEqual(scopesOf(['', 'a'], known()), ['']);
  assert.deepEqual(scopesOf(['a b', 'a/x', 'a'], known('a')), ['a', 'a b']);
});
