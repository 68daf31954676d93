import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LazysyncError } from '../errors.js';
import { b, link, makeTmp, mkdir, names, put, rmTmp } from '../../test/unit/fs.js';
import { stampOf } from './stamp.js';
import { keepVersion, listVersions, VERSIONS_DIR } from './versions.js';

const T = Date.UTC(2024, 2, 5, 6, 7, 8, 999); // 2024-03-05 06:07:08.999 UTC

describe('stampOf', () => {
  it('formats UTC as YYYYMMDD-HHMMSS', () => {
    assert.equal(stampOf(T), '20240305-060708');
    assert.equal(stampOf(0), '19700101-000000');
    assert.equal(stampOf(Date.UTC(2031, 11, 31, 23, 59, 59)), '20311231-235959');
  });
});

describe('keepVersion', () => {
  let root = '';
  before(() => {
    root = makeTmp('versions');
    mkdir(root, '.lazysync');
  });
  after(() => rmTmp(root));

  it('moves a file to .lazysync/versions/DIR/NAME~STAMP.EXT, then -1, -2 in the same second', async () => {
    const got: string[] = [];
    for (const content of ['one', 'two', 'three']) {
      put(root, 'd/report.pdf', content);
      got.push((await keepVersion(root, 'd/report.pdf', T)).path);
      assert.equal(fs.existsSync(`${root}/d/report.pdf`), false, 'the path is gone after it returns');
    }
    assert.deepEqual(got, [
      `${VERSIONS_DIR}/d/report~20240305-060708.pdf`,
      `${VERSIONS_DIR}/d/report~20240305-060708-1.pdf`,
      `${VERSIONS_DIR}/d/report~20240305-060708-2.pdf`,
    ]);
    assert.deepEqual(
      got.map((p) => fs.readFileSync(`${root}/${p}`, 'utf8')),
      ['one', 'two', 'three'],
    );
  });

  it('leaveInPlace keeps the path as it was, with the version as a hard link of the same content', async () => {
    put(root, 'h/doc.txt', 'old content');
    const v = (await keepVersion(root, 'h/doc.txt', T, { leaveInPlace: true })).path;
    assert.equal(v, `${VERSIONS_DIR}/h/doc~20240305-060708.txt`);
    assert.equal(fs.readFileSync(`${root}/h/doc.txt`, 'utf8'), 'old content', 'the path is still there');
    assert.equal(fs.statSync(`${root}/${v}`).ino, fs.statSync(`${root}/h/doc.txt`).ino);
    // Renaming new content over the path leaves the version with the old content.
    fs.writeFileSync(`${root}/h/new`, 'new content');
    fs.renameSync(`${root}/h/new`, `${root}/h/doc.txt`);
    assert.equal(fs.readFileSync(`${root}/${v}`, 'utf8'), 'old content');
  });

  it('leaveInPlace falls back to a move for a directory (no hard links of directories)', async () => {
    put(root, 'hd/inner/f', 'x');
    const v = (await keepVersion(root, 'hd/inner', T, { leaveInPlace: true })).path;
    assert.equal(fs.existsSync(`${root}/hd/inner`), false);
    assert.equal(fs.readFileSync(`${root}/${v}/f`, 'utf8'), 'x');
  });

  it('moves a directory with its contents, and a symlink with its link text', async () => {
    put(root, 'tree/sub/x', 'x');
    link(root, 'tree/lnk', '../rel/\xff');
    const v = (await keepVersion(root, 'tree', T)).path;
    assert.equal(v, `${VERSIONS_DIR}/tree~20240305-060708`);
    assert.equal(fs.readFileSync(`${root}/${v}/sub/x`, 'utf8'), 'x');
    const lv = await keepVersion(root, 'd2/.bashrc', T).catch((e: unknown) => e);
    assert.ok(lv instanceof LazysyncError && lv.code === 'changed', 'a missing path is reported as changed');
    link(root, 'lnk\xff', '../rel/\xff');
    const l = (await keepVersion(root, 'lnk\xff', T)).path;
    assert.equal(l, `${VERSIONS_DIR}/lnk\xff~20240305-060708`);
    assert.equal(
      fs.readlinkSync(b(`${root}/${l}`), { encoding: 'buffer' }).toString('latin1'),
      '../rel/\xff',
    );
  });

  it('keeps a 255-byte name within 255 bytes', async () => {
    const long = `${'é'.repeat(60)}${'n'.repeat(130)}.txt`;
    const bytes = Buffer.from(long).toString('latin1');
    assert.equal(bytes.length, 254);
    put(root, bytes, 'long');
    const v = (await keepVersion(root, bytes, T)).path;
    const name = v.slice(v.lastIndexOf('/') + 1);
    assert.ok(name.length <= 255, `${name.length} bytes`);
    assert.match(name, /~20240305-060708\.txt$/);
    assert.deepEqual(
      (await listVersions(root, bytes)).map((x) => x.path),
      [v],
    );
  });

  it('never goes through a symlink in the versions path', async () => {
    const elsewhere = makeTmp('versions-elsewhere');
    try {
      const r2 = makeTmp('versions-2');
      try {
        mkdir(r2, '.lazysync');
        link(r2, VERSIONS_DIR, elsewhere);
        put(r2, 'f', 'data');
        await assert.rejects(keepVersion(r2, 'f', T), (e) => e instanceof LazysyncError && e.code === 'io');
        assert.equal(fs.readFileSync(`${r2}/f`, 'utf8'), 'data');
        assert.deepEqual(names(elsewhere), []);
      } finally {
        rmTmp(r2);
      }
    } finally {
      rmTmp(elsewhere);
    }
  });

  it('refuses the root and paths inside .lazysync', async () => {
    await assert.rejects(keepVersion(root, '', T), { code: 'io' });
    await assert.rejects(keepVersion(root, '.lazysync/versions', T), { code: 'io' });
  });
});

describe('listVersions', () => {
  let root = '';
  before(async () => {
    root = makeTmp('listversions');
    const at = async (rel: string, ms: number, content: string): Promise<void> => {
      put(root, rel, content);
      await keepVersion(root, rel, ms);
    };
    await at('d/a.txt', T - 86_400_000, '1');
    await at('d/a.txt', T, '22');
    await at('d/a.txt', T, '333');
    await at('d/a.txt', T + 1000, '4444');
    await at('d/ab.txt', T + 5000, 'other');
    await at('d/a.txt.bak', T + 5000, 'other');
    await at('d/a~x.txt', T + 5000, 'other');
    await at('a.txt', T + 5000, 'top level');
    put(root, `${VERSIONS_DIR}/d/a~2024.txt`, 'not a version name');
  });
  after(() => rmTmp(root));

  it('lists the versions of one path only, newest first, with stamp and size', async () => {
    const v = await listVersions(root, 'd/a.txt');
    assert.deepEqual(
      v.map((x) => [x.path, x.stamp, x.n, x.size, x.kind]),
      [
        [`${VERSIONS_DIR}/d/a~20240305-060709.txt`, '20240305-060709', 0, 4, 'file'],
        [`${VERSIONS_DIR}/d/a~20240305-060708-1.txt`, '20240305-060708', 1, 3, 'file'],
        [`${VERSIONS_DIR}/d/a~20240305-060708.txt`, '20240305-060708', 0, 2, 'file'],
        [`${VERSIONS_DIR}/d/a~20240304-060708.txt`, '20240304-060708', 0, 1, 'file'],
      ],
    );
    assert.deepEqual(
      (await listVersions(root, 'd/a~x.txt')).map((x) => x.path),
      [`${VERSIONS_DIR}/d/a~x~20240305-060713.txt`],
    );
    assert.deepEqual(
      (await listVersions(root, 'a.txt')).map((x) => [x.path, x.size]),
      [[`${VERSIONS_DIR}/a~20240305-060713.txt`, 9]],
    );
  });

  it('is empty for a path without versions or without a versions folder', async () => {
    assert.deepEqual(await listVersions(root, 'd/none.txt'), []);
    assert.deepEqual(await listVersions(root, 'nowhere/x'), []);
  });
});
