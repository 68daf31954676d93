// Hostile input: what a remote, a local folder, a config file or an API client can throw at
// lazysync. Each case gets a clear error (or is synced unchanged, for odd names) and changes nothing else:
// both trees are compared byte for byte, with their inodes and times, before and after.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  DEFAULT_SSHFS_OPTIONS,
  describeResult,
  entryAt,
  identities,
  killAllCli,
  linesOf,
  newPair,
  readSpec,
  readTree,
  remove,
  runCli,
  startRemote,
  sync,
  syncEager,
  syncRaw,
  versionsOf,
  writeTree,
  type BinPath,
  type CliResult,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { apiRequest, daemonDir, specOf, startDaemon } from '../fixture/daemon.js';

/**
 * Everything that identifies both sides: R with its marker and versions, L with its state folder's files.
 * The times of the folder L/.lazysync itself are left out: taking and releasing the pair lock there is the
 * one thing a refused run does.
 */
async function snapshot(p: Pair): Promise<unknown> {
  const local = await identities(p.local, {});
  const state = local.get('.lazysync');
  if (state !== undefined) local.set('.lazysync', { ...state, mtimeMs: 0, ctimeMs: 0 });
  return [await readTree(p.local), local, await readTree(p.server), await identities(p.server, {})];
}

/** A failure of exit code `code` with one line on stderr starting "lazysync: " and matching `re`. */
function assertOneLine(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.code, code, describeResult(r));
  assert.equal(linesOf(r.stderr).length, 1, `one line on stderr\n${describeResult(r)}`);
  assert.match(r.stderr, /^lazysync: /, describeResult(r));
  assert.match(r.stderr, re, describeResult(r));
}

describe('hostile input', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('names with control characters and escape sequences sync unchanged both ways', async () => {
    const p = await newPair(remote, 'control-names');
    const names: BinPath[] = [
      'bell\x07 and nul-free \x01\x02\x1f.txt',
      'esc \x1b[31mred\x1b[0m.txt',
      'del\x7f.txt',
      'cr\rlf\n.txt',
      Buffer.from([0xc3, 0x28, 0xe2, 0x82, 0x2e]).toString('latin1'), // invalid UTF-8 sequences
    ];
    await writeTree(p.server, { [names[0] as BinPath]: 'down 0', [names[1] as BinPath]: 'down 1' });
    await writeTree(p.local, {
      [names[2] as BinPath]: 'up 2',
      [names[3] as BinPath]: 'up 3',
      [`${names[4] as BinPath}/x`]: 'up 4',
    });
    const r = await syncEager(p);
    assert.ok(!(r.stdout + r.stderr).includes('\x1b'), 'a name drove the terminal: output holds a raw ESC');
    assert.deepEqual(
      await readTree(p.local, { skipLazysync: true }),
      await readTree(p.server, { skipLazysync: true }),
    );
    assert.equal((await readSpec(p.server))[names[1] as BinPath], 'down 1');
    assert.equal((await readSpec(p.server))[`${names[4] as BinPath}/x`], 'up 4');
  });

  it('a 4,000-byte path (16 folders of 250-byte names) syncs both ways and its deletion keeps a version', async (t) => {
    const p = await newPair(remote, 'deep');
    const deep = (c: string, n: number): BinPath =>
      Array.from({ length: n }, (_, i) => `${c}${String(i).padStart(3, '0')}`.padEnd(250, c)).join('/');
    const down = `${deep('r', 15)}/${'f'.repeat(230)}`;
    const up = `${deep('l', 15)}/${'g'.repeat(230)}`;
    assert.ok(down.length >= 3980 && up.length >= 3980, `${down.length} bytes`);
    await writeTree(p.server, { [down]: 'deep remote' });
    await writeTree(p.local, { [up]: 'deep local' });
    await syncEager(p);
    assert.deepEqual(await entryAt(p.local, down), { kind: 'file', content: Buffer.from('deep remote') });
    assert.deepEqual(await entryAt(p.server, up), { kind: 'file', content: Buffer.from('deep local') });
    await remove(p.local, up);
    const r = await syncRaw(p, ['-L', 'n']);
    // The version's path is longer than the original; either it is kept, or the deletion is refused.
    const kept = await versionsOf(p.server, up);
    t.diagnostic(kept.length === 0 ? 'deletion refused: no room for the version name' : 'version kept');
    if (kept.length === 0) {
      assert.equal(r.code, 1, describeResult(r));
      assert.deepEqual(await entryAt(p.server, up), { kind: 'file', content: Buffer.from('deep local') });
    } else {
      assert.equal(r.code, 0, describeResult(r));
      assert.deepEqual(
        kept.map((v) => v.content.toString()),
        ['deep local'],
      );
    }
  });

  describe('a .lazysync file where a folder is expected', () => {
    it('L/.lazysync is a file: exit 1, one line, nothing touched on either side', async () => {
      const p = await newPair(remote, 'state-file');
      await writeTree(p.server, { 'a.txt': 'a' });
      await writeTree(p.local, { '.lazysync': 'not a folder', 'b.txt': 'b' });
      const before = await snapshot(p);
      for (const args of [['-L', 'n'], []]) {
        assertOneLine(await syncRaw(p, args), 1, /\.lazysync/);
        assert.deepEqual(await snapshot(p), before);
      }
    });

    it('R/.lazysync is a file at the first sync, and where the marker was: exit 1, nothing touched', async () => {
      const p = await newPair(remote, 'marker-file');
      await writeTree(p.server, { '.lazysync': 'not a marker', 'a.txt': 'a' });
      await writeTree(p.local, { 'b.txt': 'b' });
      const before = await snapshot(p);
      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stderr, /\.lazysync|remote unavailable/, describeResult(r));
      assert.deepEqual(
        ((await snapshot(p)) as unknown[]).slice(2),
        (before as unknown[]).slice(2),
        'R changed',
      );
      assert.deepEqual(await readSpec(p.local), { 'b.txt': 'b' }, 'L changed');

      const q = await newPair(remote, 'marker-replaced');
      await writeTree(q.server, { 'a.txt': 'a' });
      await syncEager(q);
      await rm(join(q.server, '.lazysync'), { recursive: true });
      await writeFile(join(q.server, '.lazysync'), 'not a marker');
      const was = await snapshot(q);
      assertOneLine(await syncRaw(q, ['-L', 'n']), 1, /remote unavailable/);
      assert.deepEqual(await snapshot(q), was);
    });
  });

  describe('a state.db that is not ours', () => {
    const cases: [string, (file: string) => Promise<void>][] = [
      ['random bytes', (f) => writeFile(f, Buffer.from('this is not a database, just bytes\n'.repeat(200)))],
      [
        'a truncated copy of a real one',
        async (f) => {
          const db = new Database(`${f}.real`);
          db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1);');
          db.close();
          await writeFile(f, (await readFile(`${f}.real`)).subarray(0, 1500));
          await rm(`${f}.real`);
        },
      ],
      [
        "someone else's SQLite database",
        async (f) => {
          const db = new Database(f);
          db.exec("CREATE TABLE contacts(name, phone); INSERT INTO contacts VALUES ('a', '1');");
          db.close();
        },
      ],
    ];
    it('random bytes, a truncated database, a foreign SQLite database: exit 1, one line, nothing touched', async () => {
      const p = await newPair(remote, 'db');
      await writeTree(p.server, { 'a.txt': 'a', 'd/x.txt': 'x' });
      await syncEager(p);
      await writeTree(p.server, { 'new.txt': 'would be downloaded' });
      await writeTree(p.local, { 'mine.txt': 'would be uploaded' });
      await remove(p.local, 'a.txt'); // would be a deletion
      const state = join(p.local, '.lazysync', 'state.db');
      for (const [what, make] of cases) {
        for (const f of [state, `${state}-wal`, `${state}-shm`]) await rm(f, { force: true });
        await make(state);
        const before = await snapshot(p);
        assertOneLine(await syncRaw(p, ['-L', 'n']), 1, /state\.db/);
        assert.deepEqual(await snapshot(p), before, `${what}: something changed`);
      }
    });
  });

  it('a config file with wrong types: `daemon` exits 2 with one line naming the key, and starts nothing', async () => {
    const p = await newPair(remote, 'config');
    await writeTree(p.server, { 'a.txt': 'a' });
    const d = await daemonDir();
    try {
      const head = `[[pair]]\nremote = ${JSON.stringify(p.remote)}\nlocal = ${JSON.stringify(p.local)}\n`;
      for (const [line, key] of [
        ['interval = "30"', 'pair[0].interval'],
        ['lazy = "yes"', 'pair[0].lazy'],
        ['pin = ["a", 3]', 'pair[0].pin[1]'],
        ['max_delete = true', 'pair[0].max_delete'],
      ] as const) {
        await writeFile(d.config, `${head}${line}\n`);
        const r = await runCli(['daemon', '--config', d.config, '--socket', d.socket], {
          env: d.env,
          timeoutMs: 20_000,
        });
        assertOneLine(r, 2, new RegExp(key.replace(/[[\]]/g, '\\$&')));
        assert.deepEqual(await readSpec(p.server), { 'a.txt': 'a' });
        assert.equal(await entryAt(p.local, ''), undefined, 'L was created');
      }
    } finally {
      await rm(d.dir, { recursive: true, force: true });
    }
  });

  it('API requests: bad JSON, unknown pairs, wrong methods, an oversized body: clear errors, nothing changes', async () => {
    const p = await newPair(remote, 'api');
    await writeTree(p.server, { 'a.txt': 'a', 'd/b.txt': 'b' });
    const d = await startDaemon({ pairs: [specOf(p, 'P', { interval: 3600 })] });
    try {
      await d.waitPass('P');
      const before = await snapshot(p);
      const status = (await d.pair('P')).lastPass;
      const big = JSON.stringify({ paths: [join(p.local, 'a.txt'), 'x'.repeat(2 << 20)] });
      const requests: [string, string, string | undefined, number][] = [
        ['POST', '/v1/pin', '{"paths": [', 400],
        ['POST', '/v1/pin', big, 400],
        ['POST', '/v1/pin', JSON.stringify({ paths: [join(p.local, 'a.txt')], extra: { deep: [1] } }), 400],
        ['POST', '/v1/free', JSON.stringify({ paths: 'not a list' }), 400],
        ['POST', '/v1/pairs/nope/pause', undefined, 404],
        ['DELETE', '/v1/pairs/nope', undefined, 404],
        ['DELETE', '/v1/status', undefined, 405],
        ['PUT', '/v1/pairs/P', '{}', 405],
        ['POST', '/v1/restore', JSON.stringify({ path: join(p.local, 'a.txt'), at: '\u0000' }), 400],
      ];
      for (const [method, path, body, code] of requests) {
        const a = await apiRequest(d.socket, method, path, body);
        const what = `${method} ${path} ${(body ?? '').slice(0, 60)}`;
        assert.equal(a.status, code, `${what}: ${a.text.slice(0, 300)}`);
        const err = (a.json as { error?: { code?: string; message?: string } } | undefined)?.error;
        assert.ok(
          typeof err?.message === 'string' && err.message !== '',
          `${what}: no JSON error: ${a.text}`,
        );
        assert.ok(!err.message.includes('\n'), `${what}: the message is not one line`);
      }
      const after = await d.pair('P');
      assert.equal(after.state, 'idle');
      assert.deepEqual(after.lastPass, status, 'a pass ran');
      assert.deepEqual(await snapshot(p), before, 'a bad request changed a root');
      await d.stop();
    } finally {
      await d.dispose();
    }
  });
});

describe('remote symlinks that point outside the roots', { timeout: 120_000 }, () => {
  // With no_contain_symlinks the mount shows the links as they are (the default refuses to read them, and
  // lazysync leaves such a link alone: test/e2e/table-eager.test.ts); either way none is ever followed.
  let remote: Remote;
  before(async () => {
    remote = await startRemote({ sshfsOptions: [...DEFAULT_SSHFS_OPTIONS, 'no_contain_symlinks'] });
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  for (const mode of ['eager', 'lazy'] as const) {
    it(`${mode}: copied as links with their text, never followed; the targets are untouched`, async () => {
      const p = await newPair(remote, `links-${mode}`);
      const outside = join(remote.base, `outside-${mode}`);
      await mkdir(outside);
      await writeTree(outside, { 'secret.txt': 'SENTINEL secret', 'dir/inner.txt': 'SENTINEL inner' });
      const target = await readTree(outside);
      await writeTree(p.server, {
        'to-dir': { symlink: outside },
        'to-file': { symlink: `${outside}/secret.txt` },
        'rel-up': { symlink: `../../outside-${mode}/dir` },
        'sub/also': { symlink: outside },
      });
      const flags = mode === 'eager' ? ['-L', 'n'] : [];
      await sync(p, ...flags);
      // A local edit below a linked folder's name and a deletion of a link must not reach through it either.
      await rm(join(p.local, 'to-file'));
      await sync(p, ...flags);
      await sync(p, ...flags);
      assert.deepEqual(await readTree(outside), target, 'the folder outside the roots changed');
      for (const [rel, e] of [...(await readTree(p.local)), ...(await readTree(p.server))]) {
        assert.ok(!(e.kind === 'file' && e.content.includes('SENTINEL')), `${rel} holds outside content`);
      }
      const spec = {
        'to-dir': { symlink: outside },
        'rel-up': { symlink: `../../outside-${mode}/dir` },
        sub: { dir: true },
        'sub/also': { symlink: outside },
      };
      assert.deepEqual(await readSpec(p.local), spec);
      assert.deepEqual(await readSpec(p.server), spec);
      // The deleted link is kept as a remote version: a link, not the file it pointed at.
      const v = await readTree(join(p.server, '.lazysync', 'versions'));
      assert.deepEqual([...v.values()], [{ kind: 'symlink', target: `${outside}/secret.txt` }]);
    });
  }
});
