import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VersionInfo } from '../versions/versions.js';
import { versionAt } from './history.js';

const SEC = 1000;
const T0 = Date.UTC(2026, 11, 4, 10, 0, 0);

/** A version named at T0 + `at` seconds (counter `n`) whose content was written at T0 + `written` seconds. */
function v(at: number, written: number, n = 0): { v: VersionInfo } {
  const d = new Date(T0 + at * SEC).toISOString();
  const stamp = `${d.slice(0, 10).replaceAll('-', '')}-${d.slice(11, 19).replaceAll(':', '')}`;
  return {
    v: { path: `f~${stamp}`, stamp, n, kind: 'file', size: 1, mtime: T0 + written * SEC, mode: 0o644 },
  };
}

/** Newest first, as versions are listed: content A written at 0 replaced at 100, B replaced at 200 (twice in one second). */
const history = [v(200, 150, 1), v(200, 120), v(100, 0)];
const key = (sec: number, n = 0): string => {
  const x = v(sec, 0, n).v;
  return n > 0 ? `${x.stamp}-${n}` : x.stamp;
};

describe('versionAt: what a path held at a time', () => {
  const rows: [string, string, { v: VersionInfo } | undefined][] = [
    ['before anything was replaced: the first content', key(50), history[2]],
    ['exactly when a version was made: that version', key(100), history[2]],
    ['between two versions: the later one', key(150), history[1]],
    ['a same-second version named by its counter', key(200, 1), history[0]],
    ['after the last version: none (unchanged since)', key(300), undefined],
  ];
  for (const [name, at, want] of rows) it(name, () => assert.equal(versionAt(history, at), want));

  it('none when the oldest version made since holds content written later (the path did not exist then)', () => {
    assert.equal(versionAt([v(100, 60)], key(30)), undefined);
    const written60 = [v(100, 60)];
    assert.equal(versionAt(written60, key(60)), written60[0], 'written within that second: held then');
  });
});
