import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DAY_MS } from '../core/retention.js';
import type { Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { silentLogger } from '../log.js';
import { Archive } from '../store/archive.js';
import { keepVersion, VERSIONS_DIR } from '../versions/versions.js';
import { link, makeTmp, put, rmTmp } from '../../test/unit/fs.js';
import { META } from './health.js';
import { pruneVersions, type PruneHost } from './prune.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

interface World {
  host: PruneHost;
  local: string;
  remote: string;
  dirs: string[];
}

function world(): World {
  const local = makeTmp('prune-local');
  const remote = makeTmp('prune-remote');
  fs.mkdirSync(`${remote}/.lazysync`);
  const archive = Archive.open(`${local}/.lazysync`);
  const host: PruneHost = {
    archive,
    roots: { local: { path: local }, remote: { path: remote } },
    cfg: { remote },
    log: silentLogger(),
  };
  return { host, local, remote, dirs: [local, remote] };
}

/** Keeps `rel` on `side` as a version made `ageMs` before NOW, recorded in the ledger; its version path. */
async function version(w: World, side: Side, rel: string, ageMs: number, content: string): Promise<string> {
  const root = side === 'local' ? w.local : w.remote;
  put(root, rel, content);
  const made = NOW - ageMs;
  const kept = await keepVersion(root, rel, made);
  const { kind, size, mtime } = kept;
  w.host.archive.versions.add({
    side,
    path: rel,
    file: kept.path,
    made,
    kind,
    size,
    mtime,
  });
  return `${root}/${kept.path}`;
}

const exists = (p: string): boolean => fs.existsSync(p);

describe('pruneVersions', () => {
  let w: World;
  before(() => (w = world()));
  after(() => {
    w.host.archive.close();
    for (const d of w.dirs) rmTmp(d);
  });

  it('with no rule removes nothing and says so', async () => {
    const v = await version(w, 'local', 'none.txt', DAY_MS, 'x');
    const r = await pruneVersions(w.host, { rule: {}, dryRun: false, now: NOW });
    assert.equal(r.rule, null);
    assert.equal(r.removed.local.count, 0);
    assert.ok(exists(v));
  });

  it('a dry run lists what the rule removes and removes nothing; the real run removes exactly that', async () => {
    const old = await version(w, 'remote', 'd/a.txt', 40 * DAY_MS, 'old');
    const young = await version(w, 'remote', 'd/a.txt', DAY_MS, 'young');
    const dry = await pruneVersions(w.host, { rule: { maxAgeMs: 30 * DAY_MS }, dryRun: true, now: NOW });
    assert.deepEqual(
      dry.versions.map((v) => [v.side, v.path, v.reason]),
      [['remote', 'd/a.txt', 'age']],
    );
    assert.ok(exists(old) && exists(young));
    const real = await pruneVersions(w.host, { rule: { maxAgeMs: 30 * DAY_MS }, dryRun: false, now: NOW });
    assert.deepEqual(real.removed.remote, { count: 1, bytes: 3 });
    assert.equal(exists(old), false);
    assert.ok(exists(young));
    assert.equal(w.host.archive.versions.ofPath('remote', 'd/a.txt').length, 1);
  });

  it('leaves alone what the ledger does not record, and a recorded version changed since (forgotten)', async () => {
    put(w.remote, `${VERSIONS_DIR}/e/stranger~20200101-000000.txt`, 'another pair made this');
    const changed = await version(w, 'remote', 'e/mine.txt', 90 * DAY_MS, 'mine');
    fs.writeFileSync(changed, 'rewritten by someone');
    const r = await pruneVersions(w.host, { rule: { maxAgeMs: DAY_MS / 2 }, dryRun: false, now: NOW });
    assert.ok(exists(`${w.remote}/${VERSIONS_DIR}/e/stranger~20200101-000000.txt`));
    assert.ok(exists(changed), 'a changed version is not removed');
    assert.ok(r.forgotten >= 1);
    assert.deepEqual(w.host.archive.versions.ofPath('remote', 'e/mine.txt'), []);
  });

  it('removes emptied folders of the versions tree, never the versions folder itself', async () => {
    const v = await version(w, 'local', 'deep/er/f.txt', 10 * DAY_MS, 'f');
    await pruneVersions(w.host, { rule: { maxCount: 1, maxAgeMs: DAY_MS }, dryRun: false, now: NOW });
    assert.equal(exists(v), false);
    assert.equal(exists(`${w.local}/${VERSIONS_DIR}/deep`), false);
    assert.ok(exists(`${w.local}/${VERSIONS_DIR}`));
  });

  it('keeps the newest that fit in the size budget of each side', async () => {
    const w2 = world();
    try {
      const a = await version(w2, 'local', 'a', 3 * DAY_MS, '1234');
      const b = await version(w2, 'local', 'b', 2 * DAY_MS, '1234');
      const c = await version(w2, 'local', 'c', DAY_MS, '1234');
      const r = await version(w2, 'remote', 'a', 3 * DAY_MS, '1234');
      await pruneVersions(w2.host, { rule: { maxTotal: 8 }, dryRun: false, now: NOW });
      assert.deepEqual([exists(a), exists(b), exists(c), exists(r)], [false, true, true, true]);
    } finally {
      w2.host.archive.close();
      for (const d of w2.dirs) rmTmp(d);
    }
  });

  it('never goes through a versions folder swapped for a symlink', async () => {
    const w3 = world();
    const elsewhere = makeTmp('prune-elsewhere');
    try {
      await version(w3, 'local', 'x/f.txt', 10 * DAY_MS, 'f');
      fs.renameSync(`${w3.local}/${VERSIONS_DIR}/x`, `${elsewhere}/x`);
      link(w3.local, `${VERSIONS_DIR}/x`, `${elsewhere}/x`);
      const r = await pruneVersions(w3.host, { rule: { maxAgeMs: DAY_MS }, dryRun: false, now: NOW });
      assert.equal(r.removed.local.count, 0);
      assert.deepEqual(fs.readdirSync(`${elsewhere}/x`).length, 1);
      assert.equal(w3.host.archive.versions.ofPath('local', 'x/f.txt').length, 1, 'kept for a later prune');
    } finally {
      w3.host.archive.close();
      for (const d of [...w3.dirs, elsewhere]) rmTmp(d);
    }
  });

  it('refuses while the remote is unavailable (its marker gone), removing nothing on either side', async () => {
    const w4 = world();
    try {
      const l = await version(w4, 'local', 'g.txt', 10 * DAY_MS, 'g');
      w4.host.archive.setMeta(META.marker, '1');
      fs.rmSync(`${w4.remote}/.lazysync`, { recursive: true });
      await assert.rejects(
        pruneVersions(w4.host, { rule: { maxAgeMs: DAY_MS }, dryRun: false, now: NOW }),
        (e) =>
          e instanceof LazysyncError && e.code === 'remote-unavailable' && /nothing pruned/.test(e.message),
      );
      assert.ok(exists(l));
    } finally {
      w4.host.archive.close();
      for (const d of w4.dirs) rmTmp(d);
    }
  });
});
