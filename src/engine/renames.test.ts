import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReportedRenames } from './renames.js';

describe('ReportedRenames', () => {
  it('answers for the renames reported, what was inside a renamed folder, and chains of renames', () => {
    const r = new ReportedRenames();
    r.add([{ from: 'a', to: 'b' }]);
    r.add([
      { from: 'b', to: 'c' },
      { from: 'd', to: 'e' },
    ]);
    const renamed = r.take();
    assert.ok(renamed);
    assert.equal(renamed('a', 'c'), true);
    assert.equal(renamed('d', 'e'), true);
    assert.equal(renamed('d/x/y', 'e/x/y'), true);
    assert.equal(renamed('a', 'b'), false); // b was renamed on: a is at c now
    assert.equal(renamed('d/x', 'e/z'), false);
    assert.equal(renamed('dd', 'ed'), false);
  });

  it('forgets what it gave to a pass', () => {
    const r = new ReportedRenames();
    assert.equal(r.take(), undefined);
    r.add([{ from: 'a', to: 'b' }]);
    assert.ok(r.take());
    assert.equal(r.take(), undefined);
  });
});
