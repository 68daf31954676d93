// Names are bytes: spaces, newlines, non-UTF-8 bytes and 255-byte names sync unchanged in both directions.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readlink } from 'node:fs/promises';
import {
  at,
  bin,
  entryAt,
  killAllCli,
  listVersions,
  newPair,
  readTree,
  remove,
  startRemote,
  sync,
  syncEager,
  writeFileAt,
  writeTree,
  type BinPath,
  type Remote,
} from '../fixture/index.js';

/** [what, name as a binary string] */
const NAMES: [string, BinPath][] = [
  ['spaces', '  with  spaces .txt'],
  ['a newline', 'new\nline.txt'],
  ['non-UTF-8 bytes', Buffer.from([0x66, 0xff, 0xfe]).toString('latin1')],
  ['UTF-8 text', bin('naïve – 日本語.txt')],
  ['a backslash and a tab', 'back\\slash\ttab'],
  ['255 bytes', `${'n'.repeat(251)}.txt`],
];
/** A directory with a non-UTF-8 name holding a file with a newline in its name. */
const NESTED: BinPath = `${Buffer.from([0x64, 0x80, 0x81]).toString('latin1')}/in\nside`;

function contentFor(what: string): string {
  return `content of the file named with ${what}`;
}

function spec(): Record<BinPath, string> {
  const out: Record<BinPath, string> = {};
  for (const [what, name] of NAMES) out[name] = contentFor(what);
  out[NESTED] = contentFor('a nested odd path');
  return out;
}

/** The names in a folder, byte-exact. */
async function namesIn(dir: string, rel: BinPath = ''): Promise<BinPath[]> {
  return (await readdir(at(dir, rel), { encoding: 'buffer' }))
    .map((n) => n.toString('latin1'))
    .filter((n) => n !== '.lazysync');
}

describe('names are bytes', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('odd names created on the remote come down unchanged (eager)', async () => {
    const p = await newPair(remote, 'down');
    await syncEager(p);
    await writeTree(p.server, spec());
    await syncEager(p);
    assert.deepEqual((await namesIn(p.local)).sort(), (await namesIn(p.server)).sort());
    for (const [what, name] of NAMES) {
      assert.deepEqual(
        await entryAt(p.local, name),
        { kind: 'file', content: Buffer.from(contentFor(what)) },
        what,
      );
    }
    assert.deepEqual(await entryAt(p.local, NESTED), {
      kind: 'file',
      content: Buffer.from(contentFor('a nested odd path')),
    });
    assert.deepEqual(
      await readTree(p.local, { skipLazysync: true }),
      await readTree(p.server, { skipLazysync: true }),
    );
  });

  it('odd names created locally go up unchanged', async () => {
    const p = await newPair(remote, 'up');
    await syncEager(p);
    await writeTree(p.local, spec());
    await syncEager(p);
    for (const [what, name] of NAMES) {
      assert.deepEqual(
        await entryAt(p.server, name),
        { kind: 'file', content: Buffer.from(contentFor(what)) },
        what,
      );
    }
    assert.deepEqual(await entryAt(p.server, NESTED), {
      kind: 'file',
      content: Buffer.from(contentFor('a nested odd path')),
    });
    assert.deepEqual(
      await readTree(p.server, { skipLazysync: true }),
      await readTree(p.local, { skipLazysync: true }),
    );
    // The uploads stay real local files.
    for (const [what, name] of NAMES) assert.equal((await entryAt(p.local, name))?.kind, 'file', what);
  });

  it('placeholders of odd names point at the exact remote path (lazy)', async () => {
    const p = await newPair(remote, 'lazy');
    await writeTree(p.server, spec());
    await sync(p);
    for (const [what, name] of [...NAMES, ['a nested odd path', NESTED] as [string, BinPath]]) {
      const target = await readlink(at(p.local, name), { encoding: 'buffer' });
      assert.ok(
        target.equals(at(p.remote, name)),
        `${what}: placeholder points at ${JSON.stringify(target.toString('latin1'))}`,
      );
      const e = await entryAt(p.local, name);
      assert.equal(e?.kind, 'symlink', what);
    }
  });

  it('edits and deletions of odd names keep the old content as remote versions', async () => {
    const p = await newPair(remote, 'versions');
    await writeTree(p.server, spec());
    await syncEager(p);
    const edited = NAMES.slice(0, 3);
    const deleted = NAMES.slice(3);
    for (const [what, name] of edited)
      await writeFileAt(p.local, name, `${contentFor(what)}, edited locally`);
    for (const [, name] of deleted) await remove(p.local, name);
    await syncEager(p);
    for (const [what, name] of edited) {
      assert.deepEqual(
        await entryAt(p.server, name),
        { kind: 'file', content: Buffer.from(`${contentFor(what)}, edited locally`) },
        what,
      );
    }
    for (const [what, name] of deleted) assert.equal(await entryAt(p.server, name), undefined, what);
    // Version names of 255-byte names cannot follow NAME~STAMP.EXT exactly; the content must be kept anyway.
    const kept = [];
    for (const v of await listVersions(p.server)) {
      const e = await entryAt(`${p.server}/.lazysync/versions`, v);
      if (e?.kind === 'file') kept.push(e.content.toString('utf8'));
    }
    for (const [what] of NAMES)
      assert.ok(kept.includes(contentFor(what)), `no remote version holds the old content of ${what}`);
  });
});
