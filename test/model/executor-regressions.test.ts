// Executor bugs found by the property tests (reconcile.property.test.ts) and the soak, reproduced on the
// real Executor with two plain temp folders, and kept as regression tests.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conflictName } from '../../src/core/names.js';
import type { Entry } from '../../src/core/types.js';
import { LazysyncError } from '../../src/errors.js';
import { Executor } from '../../src/engine/executor.js';
import { lstatEntry } from '../../src/fsops/entry.js';
import { silentLogger } from '../../src/log.js';
import { Archive } from '../../src/store/archive.js';
import { stampOf } from '../../src/versions/stamp.js';

const NOW = Date.UTC(2024, 4, 17, 9, 30, 0);
const dirs: string[] = [];
const archives: Archive[] = [];

after(async () => {
  for (const a of archives) a.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const base = await mkdtemp(join(tmpdir(), 'lazysync-exec-'));
  dirs.push(base);
  const L = join(base, 'L');
  const R = join(base, 'R');
  await mkdir(L);
  await mkdir(R);
  const archive = Archive.open(join(L, '.lazysync'));
  archives.push(archive);
  const executor = new Executor({
    localRoot: L,
    remoteRoot: R,
    archive,
    log: silentLogger(),
    now: () => NOW,
    onDone: () => undefined,
  });
  const entry = async (side: 'local' | 'remote', p: string): Promise<Entry> => {
    const e = await (side === 'local' ? lstatEntry(L, p, 'local', R) : lstatEntry(R, p, 'remote'));
    assert.ok(e, `${side} ${p} exists`);
    return e;
  };
  return { L, R, archive, executor, entry };
}

describe('Executor (bugs found by the property tests and the soak)', () => {
  it('mkdir over a placeholder replaces it (the remote file became a folder)', async () => {
    const { L, R, executor, entry } = await setup();
    await writeFile(join(R, 'f'), 'x');
    await symlink(join(R, 'f'), join(L, 'f')); // the placeholder of R/f
    const placeholder = await entry('local', 'f');
    assert.equal(placeholder.kind, 'placeholder');
    await rm(join(R, 'f'));
    await mkdir(join(R, 'f'));
    // What decide() plans: local unchanged placeholder, remote now a dir -> mkdir on the local side.
    await executor.apply({
      op: 'mkdir',
      side: 'local',
      path: 'f',
      local: placeholder,
      remote: await entry('remote', 'f'),
    });
    assert.ok((await lstat(join(L, 'f'))).isDirectory());
  });

  it('a conflict copy is not named after a path the same plan then forgets', async () => {
    // The archive still has `a.conflict-STAMP` (deleted on both sides since); `a` changed on both sides.
    // The plan is [conflict a, forget a.conflict-STAMP] (scan order): the copy must not take that name, or
    // the forget drops the record of the copy just made.
    const { L, R, archive, executor, entry } = await setup();
    const aside = conflictName('a', stampOf(NOW));
    await writeFile(join(L, 'a'), 'local');
    await writeFile(join(R, 'a'), 'remote!');
    const local = await entry('local', 'a');
    const remote = await entry('remote', 'a');
    archive.put({ path: aside, local, remote });
    await executor.apply({ op: 'conflict', path: 'a', local, remote, winner: 'remote' });
    await executor.apply({ op: 'forget', path: aside });
    const copies = [aside, conflictName('a', stampOf(NOW), 1)].filter((p) => archive.get(p) !== undefined);
    // Both sides hold one conflict copy, and the archive records it.
    assert.equal(copies.length, 1, 'the conflict copy is recorded in the archive');
    assert.equal(await readlink(join(L, copies[0] ?? '')).catch(() => 'file'), 'file');
  });

  it('a placeholder saved over after the scan is not recorded as the placeholder (found by the soak)', async () => {
    // Scanned: a placeholder locally, the remote file changed -> plan "record". Before it is applied, a
    // program saves a real file over the placeholder. Recording the scanned placeholder would make the next
    // pass see only a local edit and overwrite the remote change instead of making a conflict copy.
    const { L, R, archive, executor, entry } = await setup();
    await writeFile(join(R, 'f'), 'remote, edited');
    await symlink(join(R, 'f'), join(L, 'f'));
    const placeholder = await entry('local', 'f');
    const remote = await entry('remote', 'f');
    await rm(join(L, 'f'));
    await writeFile(join(L, 'f'), 'saved locally');
    await assert.rejects(
      executor.apply({ op: 'record', path: 'f', local: placeholder, remote }),
      /changed since it was scanned/,
    );
    assert.equal(archive.get('f'), undefined, 'nothing recorded');
  });

  it('free of a copy whose folder was removed is a refusal as changed, not a raw ENOENT', async () => {
    const { L, R, executor, entry } = await setup();
    await mkdir(join(L, 'd'));
    await mkdir(join(R, 'd'));
    await writeFile(join(L, 'd', 'f'), 'same');
    await writeFile(join(R, 'd', 'f'), 'same');
    const local = await entry('local', 'd/f');
    const remote = await entry('remote', 'd/f');
    await rm(join(L, 'd'), { recursive: true });
    await assert.rejects(
      executor.free('d/f', local, remote),
      (e: unknown) => e instanceof LazysyncError && e.code === 'changed',
    );
  });
});
