// The command line contract: usage errors (exit 2, one line, nothing touched), help, version, signals, legacy form.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  entryAt,
  exists,
  killAllCli,
  newPair,
  readTree,
  repoRoot,
  runCli,
  spawnCli,
  startRemote,
  waitFor,
  writeTree,
  type CliResult,
  type Pair,
  type Remote,
} from '../fixture/index.js';

/** One line on stderr, starting with "lazysync: ". */
const ONE_LINE = /^lazysync: [^\n]+\n?$/;

function assertUsageError(r: CliResult, what: string): void {
  assert.equal(r.code, 2, `${what}: ${describeResult(r)}`);
  assert.match(
    r.stderr,
    ONE_LINE,
    `${what}: stderr must be one line starting "lazysync: "\n${describeResult(r)}`,
  );
}

describe('command line', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  describe('bad inputs exit 2 with one line on stderr and touch nothing', () => {
    let p: Pair;
    let nest: string;
    before(async () => {
      p = await newPair(remote, 'bad-inputs');
      await writeTree(p.server, { 'keep.txt': 'remote file' });
      nest = join(remote.base, 'nest');
      await writeTree(nest, { 'r/x.txt': 'x' });
    });

    const cases: [string, () => string[]][] = [
      ['missing -r', () => ['sync', '-l', p.local]],
      ['missing -l', () => ['sync', '-r', p.remote]],
      ['R equal to L', () => ['sync', '-r', p.remote, '-l', p.remote]],
      ['R equal to L, spelled with a trailing slash', () => ['sync', '-r', p.remote, '-l', `${p.remote}/`]],
      ['L inside R', () => ['sync', '-r', p.remote, '-l', join(p.remote, 'local')]],
      ['R inside L', () => ['sync', '-r', join(nest, 'r'), '-l', nest]],
      ['--interval abc', () => ['run', '-r', p.remote, '-l', p.local, '--interval', 'abc']],
      ['--max-delete 150', () => ['sync', '-r', p.remote, '-l', p.local, '--max-delete', '150']],
      ['--max-delete abc', () => ['sync', '-r', p.remote, '-l', p.local, '--max-delete', 'abc']],
      ['-L maybe', () => ['sync', '-r', p.remote, '-l', p.local, '-L', 'maybe']],
      ['--log-level loud', () => ['sync', '-r', p.remote, '-l', p.local, '--log-level', 'loud']],
      ['an unknown option', () => ['sync', '-r', p.remote, '-l', p.local, '--frobnicate']],
      ['an unknown option in the legacy form', () => ['-r', p.remote, '-l', p.local, '--frobnicate']],
      ['the legacy form without -l', () => ['-r', p.remote]],
      ['an unknown command', () => ['frobnicate', '-r', p.remote, '-l', p.local]],
    ];
    for (const [what, args] of cases) {
      it(what, async () => {
        const baseNames = (await readdir(remote.base)).sort();
        const server = await readTree(p.server);
        const nested = await readTree(nest);
        const r = await runCli(args(), { timeoutMs: 20_000 });
        assertUsageError(r, what);
        assert.deepEqual((await readdir(remote.base)).sort(), baseNames, "L's parent changed");
        assert.equal(await exists(p.local), false, 'L was created');
        assert.deepEqual(await readTree(p.server), server, 'R changed');
        assert.deepEqual(await readTree(nest), nested, 'the nested folders changed');
      });
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout, /usage/i);
    assert.match(r.stdout, /\bsync\b/);
    assert.match(r.stdout, /\brun\b/);
  });

  it('--version prints the package version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(r.stdout.trim(), new RegExp(`(^|\\s)v?${pkg.version.replaceAll('.', '\\.')}$`));
  });

  it('sync with a remote that does not exist exits 2 and creates nothing', async () => {
    const R = join(remote.mountDir, 'does-not-exist');
    const L = join(remote.base, 'local-missing-remote');
    const r = await runCli(['sync', '-r', R, '-l', L]);
    assertUsageError(r, 'missing remote');
    assert.equal(await exists(L), false, 'L was created');
    assert.equal(await exists(R), false, 'R was created');
  });

  it('the local folder is created when its parent exists, and not when the parent is missing', async () => {
    const p = await newPair(remote, 'create-local');
    await writeTree(p.server, { 'f.txt': 'f' });
    const r = await runCli(['sync', '-r', p.remote, '-l', p.local, '-L', 'n']);
    assert.equal(r.code, 0, describeResult(r));
    assert.ok((await stat(p.local)).isDirectory());
    assert.deepEqual(await entryAt(p.local, 'f.txt'), { kind: 'file', content: Buffer.from('f') });

    const orphan = join(remote.base, 'no-such-parent', 'local');
    const r2 = await runCli(['sync', '-r', p.remote, '-l', orphan, '-L', 'n']);
    assert.notEqual(r2.code, 0, describeResult(r2));
    assert.equal(await exists(join(remote.base, 'no-such-parent')), false, 'the missing parent was created');
  });

  it('--log-file writes the log to that file', async () => {
    const p = await newPair(remote, 'log-file');
    await writeTree(p.server, { 'f.txt': 'f' });
    const log = join(remote.base, 'lazysync-test.log');
    const r = await runCli([
      'sync',
      '-r',
      p.remote,
      '-l',
      p.local,
      '--log-level',
      'debug',
      '--log-file',
      log,
    ]);
    assert.equal(r.code, 0, describeResult(r));
    assert.ok(
      (await exists(log)) && (await stat(log)).size > 0,
      'the log file is missing or empty after the exit',
    );
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`run syncs every interval and exits 0 on ${signal}`, async () => {
      const p = await newPair(remote, `run-${signal}`);
      await writeTree(p.server, { 'first.txt': 'first' });
      const run = spawnCli(['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '1']);
      try {
        await waitFor(async () => (await entryAt(p.local, 'first.txt'))?.kind === 'file', 'the first pass');
        await writeTree(p.server, { 'second.txt': 'second' });
        await waitFor(async () => (await entryAt(p.local, 'second.txt'))?.kind === 'file', 'a later pass');
        assert.deepEqual(await run.stop(signal), { code: 0, signal: null }, describeOutput(run.output()));
      } finally {
        run.kill('SIGKILL');
      }
    });
  }

  it('the legacy form "lazysync -r R -l L -L n" runs in the foreground until SIGTERM', async () => {
    const p = await newPair(remote, 'legacy');
    await writeTree(p.server, { 'legacy.txt': 'downloaded by the legacy form' });
    const run = spawnCli(['-r', p.remote, '-l', p.local, '-L', 'n']);
    try {
      await waitFor(
        async () => (await entryAt(p.local, 'legacy.txt'))?.kind === 'file',
        'the legacy form to sync',
      );
      assert.deepEqual(await entryAt(p.local, 'legacy.txt'), {
        kind: 'file',
        content: Buffer.from('downloaded by the legacy form'),
      });
      assert.equal(run.exitCode, null, 'the legacy form keeps running');
      assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, describeOutput(run.output()));
    } finally {
      run.kill('SIGKILL');
    }
  });

  // Each call on the mount holds a pool thread for a round trip: with Node's 4 threads a 20 ms mount
  // scanned 2.3x slower (benchmark). The pool is sized at its first use, which an ES-module entry makes
  // before its first line runs; this catches the setting silently coming too late again.
  it('runs with a 64-thread libuv pool unless UV_THREADPOOL_SIZE says otherwise', async () => {
    const threads = async (env: NodeJS.ProcessEnv): Promise<number> => {
      const p = await newPair(remote, `pool-${env.UV_THREADPOOL_SIZE ?? 'default'}`);
      await writeTree(p.server, { 'a.txt': 'a' });
      const run = spawnCli(['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '3600'], { env });
      try {
        await waitFor(async () => (await entryAt(p.local, 'a.txt'))?.kind === 'file', 'the first pass');
        return (await readdir(`/proc/${run.pid}/task`)).length;
      } finally {
        await run.stop('SIGTERM');
      }
    };
    const byDefault = await threads({ UV_THREADPOOL_SIZE: undefined }); // unset even if the suite sets it
    assert.ok(byDefault >= 64, `lazysync run has ${byDefault} threads: the pool kept its default size`);
    const chosen = await threads({ UV_THREADPOOL_SIZE: '8' });
    assert.ok(chosen < 40, `with UV_THREADPOOL_SIZE=8 lazysync run has ${chosen} threads`);
  });
});
