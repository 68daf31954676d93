// The lazy-mode options on the command line: bad sizes and detection modes are usage errors (exit 2, one
// line, nothing created); good ones are accepted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  exists,
  killAllCli,
  newPair,
  readTree,
  runCli,
  spawnCli,
  startRemote,
  waitFor,
  writeTree,
  type CliResult,
  type Pair,
  type Remote,
} from '../fixture/index.js';

/** One line on stderr, starting with "lazysync:". */
const ONE_LINE = /^lazysync:[^\n]*\n?$/;

function assertUsageError(r: CliResult, what: string): void {
  assert.equal(r.code, 2, `${what}: ${describeResult(r)}`);
  assert.match(
    r.stderr,
    ONE_LINE,
    `${what}: stderr must be one line starting "lazysync:"\n${describeResult(r)}`,
  );
}

describe('lazy-mode options on the command line', { timeout: 300_000 }, () => {
  let remote: Remote;
  let p: Pair;
  before(async () => {
    remote = await startRemote();
    p = await newPair(remote, 'lazy-cli');
    await writeTree(p.server, { 'keep.txt': 'remote file' });
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  const cases: [string, string[]][] = [
    ['--max-size 10Q', ['--max-size', '10Q']],
    ['--cache-max abc', ['--cache-max', 'abc']],
    ['--access-detect foo', ['--access-detect', 'foo']],
    ['--max-size with no number', ['--max-size', 'M']],
    ['--cache-max negative', ['--cache-max', '-5M']],
  ];
  for (const [what, extra] of cases) {
    it(`run ${what}: exit 2, one line on stderr, nothing created`, async () => {
      const baseNames = (await readdir(remote.base)).sort();
      const server = await readTree(p.server);
      const log = join(remote.base, 'lazy-cli-bad.log');
      const args = ['run', '-r', p.remote, '-l', p.local, '--interval', '3600', '--log-file', log, ...extra];
      const r = await runCli(args, { timeoutMs: 20_000 });
      assertUsageError(r, what);
      assert.equal(await exists(p.local), false, 'L was created');
      assert.equal(await exists(log), false, 'the log file was created');
      assert.deepEqual((await readdir(remote.base)).sort(), baseNames, "L's parent changed");
      assert.deepEqual(await readTree(p.server), server, 'R changed (e.g. a .lazysync marker)');
    });
  }

  const good: [string, string[]][] = [
    [
      '--max-size 512 --cache-max 1G --access-detect proc',
      ['--max-size', '512', '--cache-max', '1G', '--access-detect', 'proc'],
    ],
    [
      '--max-size 4K --cache-max 10M --access-detect inotify',
      ['--max-size', '4K', '--cache-max', '10M', '--access-detect', 'inotify'],
    ],
  ];
  for (const [n, [what, extra]] of good.entries()) {
    it(`run ${what} --pin '*.pdf' is accepted: placeholders, the pinned file downloaded, exit 0 on SIGTERM`, async () => {
      const q = await newPair(remote, `lazy-cli-good-${n}`);
      await writeTree(q.server, { 'a.txt': 'a', 'b.pdf': 'pinned' });
      const run = spawnCli([
        'run',
        '-r',
        q.remote,
        '-l',
        q.local,
        '--interval',
        '3600',
        ...extra,
        '--pin',
        '*.pdf',
      ]);
      try {
        await waitFor(async () => {
          if (run.exitCode !== null)
            throw new Error(`run exited ${run.exitCode}\n${describeOutput(run.output())}`);
          const a = await lstat(join(q.local, 'a.txt')).catch(() => undefined);
          const b = await lstat(join(q.local, 'b.pdf')).catch(() => undefined);
          return a?.isSymbolicLink() === true && b?.isFile() === true;
        }, 'a placeholder for a.txt and a download of the pinned b.pdf');
        assert.equal(await readlink(join(q.local, 'a.txt')), join(q.remote, 'a.txt'));
        assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, describeOutput(run.output()));
      } finally {
        run.kill('SIGKILL');
      }
    });
  }
});
