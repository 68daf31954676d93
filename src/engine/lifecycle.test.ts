// The one owner of changes to a pair's files: requests for one file join, and a pass's step for a path a
// request changed after the plan was made is left to the next pass. Real folders, a real archive.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RelPath } from '../core/types.js';
import { Root } from '../fsops/root.js';
import { silentLogger } from '../log.js';
import { Archive } from '../store/archive.js';
import { makeTmp, put, rmTmp } from '../../test/unit/fs.js';
import type { Done } from './exec-context.js';
import { Executor } from './executor.js';
import { Lifecycle } from './lifecycle.js';

const dirs: string[] = [];
const archives: Archive[] = [];
after(() => {
  for (const a of archives) a.close();
  for (const d of dirs) rmTmp(d);
});

/** A pair of plain folders whose remote holds `files`, synced lazily: each file is a placeholder. */
async function lazyPair(files: Record<string, string>) {
  const base = makeTmp('lifecycle');
  dirs.push(base);
  const L = path.join(base, 'L');
  const R = path.join(base, 'R');
  fs.mkdirSync(L);
  fs.mkdirSync(R);
  for (const [rel, data] of Object.entries(files)) put(R, rel, data);
  const archive = Archive.open(path.join(L, '.lazysync'));
  archives.push(archive);
  const done: { what: Done; path: RelPath }[] = [];
  const executor = new Executor({
    localRoot: L,
    remoteRoot: R,
    archive,
    log: silentLogger(),
    now: Date.now,
    onDone: (what, p) => done.push({ what, path: p }),
  });
  const roots = Root.pair(L, R);
  const files_ = new Lifecycle({ roots, archive, executor, policy: { lazy: true }, log: silentLogger() });
  for (const rel of Object.keys(files)) {
    const remote = await roots.remote.stat(rel);
    assert.ok(remote);
    await executor.apply({ op: 'placeholder', path: rel, remote });
  }
  done.length = 0;
  return { L, R, archive, roots, files: files_, done };
}

describe('Lifecycle: one owner of changes to the files', () => {
  it('two hydrations of one placeholder at once (an open and a pin) join: one download', async () => {
    const { L, files, done } = await lazyPair({ 'big.bin': 'x'.repeat(1 << 20) });
    const [a, b] = await Promise.all([
      files.hydrate('big.bin', { via: 'inotify' }),
      files.hydrate('big.bin', 'pin'),
    ]);
    assert.equal(a, 1 << 20);
    assert.equal(b, 1 << 20);
    assert.deepEqual(
      done.filter((d) => d.what === 'downloaded'),
      [{ what: 'downloaded', path: 'big.bin' }],
    );
    assert.equal(fs.lstatSync(path.join(L, 'big.bin')).isFile(), true);
    // Once it is a local copy, another request has nothing to do.
    assert.equal(await files.hydrate('big.bin', 'pin'), undefined);
  });

  it('two frees of one local copy at once join: freed once, both told so', async () => {
    const { L, files } = await lazyPair({ 'a.txt': 'hello' });
    await files.hydrate('a.txt', 'pin');
    const [a, b] = await Promise.all([files.free('a.txt'), files.free('a.txt')]);
    assert.deepEqual(a, { freed: 5 });
    assert.deepEqual(b, { freed: 5 });
    assert.equal(fs.lstatSync(path.join(L, 'a.txt')).isSymbolicLink(), true);
  });

  it('an edited local copy is refused with what to do, and stays', async () => {
    const { L, files } = await lazyPair({ 'a.txt': 'hello' });
    await files.hydrate('a.txt', 'pin');
    fs.writeFileSync(path.join(L, 'a.txt'), 'edited here');
    assert.deepEqual(await files.free('a.txt'), {
      refused: 'changed since the last sync (not uploaded yet); sync it first',
    });
    assert.equal(fs.readFileSync(path.join(L, 'a.txt'), 'utf8'), 'edited here');
  });

  it("a pass's step for a path hydrated after the plan was made is left to the next pass", async () => {
    const { L, archive, roots, files, done } = await lazyPair({ 'a.txt': 'hello' });
    const planned = archive.get('a.txt');
    assert.equal(planned?.local.kind, 'placeholder');
    files.beginPlan();
    await files.hydrate('a.txt', { via: 'proc' });
    // The plan, made before the hydration, would have put the placeholder back over the local copy.
    const remote = await roots.remote.stat('a.txt');
    assert.ok(remote);
    await files.applyStep({ op: 'placeholder', path: 'a.txt', local: planned.local, remote });
    assert.equal(fs.readFileSync(path.join(L, 'a.txt'), 'utf8'), 'hello');
    assert.equal(done.filter((d) => d.what === 'placeholders').length, 0);
  });
});
