import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Archive } from '../store/archive.js';
import { makeTmp, put, rmTmp } from '../../test/unit/fs.js';
import { adoptLocalVersions } from './adopt.js';
import { keepVersion } from './versions.js';

const T = Date.UTC(2024, 2, 5, 6, 7, 8);

describe('adoptLocalVersions', () => {
  const root = makeTmp('adopt');
  after(() => rmTmp(root));

  it('records the versions already in the local versions folder, once', async () => {
    for (const [rel, content] of [
      ['d/a.txt', '1'],
      ['d/a.txt', '22'],
      ['top', '333'],
      ['e/sub', 'folder'],
    ] as const) {
      put(root, rel === 'e/sub' ? 'e/sub/inner' : rel, content);
      await keepVersion(root, rel, T);
    }
    put(root, '.lazysync/versions/d/not-a-version.txt', 'left out');
    const archive = Archive.open(`${root}/.lazysync`);
    try {
      assert.equal(await adoptLocalVersions(archive, root), 4);
      assert.deepEqual(
        archive.versions.ofPath('local', 'd/a.txt').map((r) => [r.file, r.size, r.made - T]),
        [
          ['.lazysync/versions/d/a~20240305-060708-1.txt', 2, 1],
          ['.lazysync/versions/d/a~20240305-060708.txt', 1, 0],
        ],
      );
      assert.deepEqual(
        archive.versions.ofPath('local', 'e/sub').map((r) => [r.kind, r.size]),
        [['dir', 6]],
      );
      assert.equal(await adoptLocalVersions(archive, root), 0, 'a second start adds nothing');
      assert.equal(archive.versions.usage().local.count, 4);
    } finally {
      archive.close();
    }
  });
});
