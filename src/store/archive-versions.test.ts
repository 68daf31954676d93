import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaths } from '../core/paths.js';
import { removeTempStateDirs, tempStateDir } from '../../test/unit/archive.js';
import { Archive } from './archive.js';
import type { LedgerVersion } from './archive-versions.js';

after(removeTempStateDirs);

/** A version of `path` on `side` made at `made`, `size` bytes. */
function v(side: 'local' | 'remote', path: string, made: number, size = 1): LedgerVersion {
  return {
    side,
    path,
    file: `.lazysync/versions/${path}~${made}`,
    made,
    kind: 'file',
    size,
    mtime: made - 1000,
  };
}

describe('VersionLedger', () => {
  it('records versions and sums what each side uses', () => {
    const a = Archive.open(tempStateDir());
    try {
      a.versions.add(v('local', 'a', 1, 10));
      a.versions.add(v('remote', 'a', 2, 5));
      a.versions.add(v('remote', 'b\xff/c', 3, 7));
      assert.deepEqual(a.versions.usage(), {
        local: { count: 1, bytes: 10 },
        remote: { count: 2, bytes: 12 },
      });
      const [row] = a.versions.ofPath('remote', 'b\xff/c');
      assert.equal(row?.path, 'b\xff/c');
      assert.equal(row?.file, '.lazysync/versions/b\xff/c~3');
      a.versions.forget(row?.id ?? -1);
      assert.deepEqual(a.versions.usage().remote, { count: 1, bytes: 5 });
    } finally {
      a.close();
    }
  });

  it('pages through more paths and versions than one page holds, in order, each once', () => {
    const a = Archive.open(tempStateDir());
    try {
      const paths = Array.from({ length: 1234 }, (_, i) => `d${i % 7}/f${i}`);
      a.transaction(() => {
        for (const [i, p] of paths.entries()) {
          a.versions.add(v('local', p, 1000 + i));
          a.versions.add(v('local', p, 5000 + i));
        }
        a.versions.add(v('remote', 'only-remote', 1));
      });
      assert.deepEqual([...a.versions.paths('local')], [...paths].sort(comparePaths));
      assert.deepEqual(
        a.versions.ofPath('local', 'd3/f3').map((r) => r.made),
        [5003, 1003],
      );
      // Every version of one path but the newest is chosen; the survivors are the rest, newest first.
      for (const p of paths) {
        const rows = a.versions.ofPath('local', p);
        a.versions.doom(rows[1]?.id ?? -1, 'count');
      }
      const survivors = [...a.versions.survivors('local')].map((r) => r.made);
      assert.equal(survivors.length, paths.length);
      assert.deepEqual(
        survivors,
        [...survivors].sort((x, y) => y - x),
      );
      assert.ok(survivors.every((m) => m >= 5000));
      const doomed = [...a.versions.doomed()].flat();
      assert.equal(doomed.length, paths.length);
      assert.ok(doomed.every((r) => r.reason === 'count' && r.made < 5000));
      a.versions.clearDoomed();
      assert.equal([...a.versions.doomed()].flat().length, 0);
    } finally {
      a.close();
    }
  });
});
