// A folder moved in L while `lazysync run` is running (seen through kernel events on L), and one moved
// while it is stopped (seen by the first pass when it starts again): both reach the remote as renames.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  startRemote,
  waitFor,
  type Pair,
  type Remote,
  type TreeSpec,
} from '../fixture/index.js';
import {
  asPlaceholders,
  assertRenamedInPlace,
  folderOf,
  inodes,
  localView,
  moveOf,
  mv,
  renamed,
  seedServer,
  withDirs,
} from '../fixture/moves.js';
import { assertRunning, startRun, stopRun } from '../fixture/run.js';
import { describeOutput, type CliProcess } from '../fixture/cli.js';

const BASE = nowSec() - 7200;
const DEADLINE_MS = 30_000;

/** Waits while `run` runs until both sides hold `server` (files by content; locally as placeholders if lazy). */
async function waitBothSides(run: CliProcess, p: Pair, lazy: boolean, server: TreeSpec, what: string) {
  const local = lazy ? asPlaceholders(server) : server;
  let last = '';
  try {
    await waitFor(
      async () => {
        assertRunning(run);
        const sides = await Promise.all([readSpec(p.server), lazy ? localView(p) : readSpec(p.local)]).catch(
          () => undefined, // L is not made yet, or a folder vanished between its listing and its read
        );
        if (sides === undefined) return false;
        const [s, l] = sides;
        last = `server ${JSON.stringify(Object.keys(s))}\nlocal ${JSON.stringify(Object.keys(l))}`;
        return isDeepStrictEqual(s, server) && isDeepStrictEqual(l, local);
      },
      what,
      DEADLINE_MS,
      100,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast seen:\n${last}\n${describeOutput(run.output())}`, {
      cause: e,
    });
  }
}

describe('moves while the daemon runs, and between its runs', { timeout: 180_000, concurrency: 2 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  for (const [mode, lazy] of [
    ['lazy', true],
    ['eager', false],
  ] as const) {
    it(`${mode}: mv of a folder while running and while stopped; each reaches the remote as a rename`, async () => {
      const p = await newPair(remote, `daemon-${mode}`);
      const seed = { ...folderOf('album', 20, 4), 'readme.txt': 'readme\n' };
      await seedServer(p, seed, BASE);
      const args = ['--interval', '3600', '-L', lazy ? 'y' : 'n'];
      const log = (n: number): string => join(remote.base, `daemon-${mode}-${n}.log`);

      await p.caughtUp?.(); // its first pass is its only whole pass within the test: it must see the seed
      const first = startRun(p, log(1), args);
      let serverIno: Map<string, number>;
      try {
        await waitBothSides(first, p, lazy, withDirs(seed), 'the first pass');
        serverIno = await inodes(p.server);
        await mv(p.local, 'album', 'album-2026');
        const moved = withDirs(renamed(seed, 'album', 'album-2026'));
        await waitBothSides(first, p, lazy, moved, 'album-2026 on the remote, album gone');
        await stopRun(first);
      } finally {
        first.kill('SIGKILL');
      }
      await assertRenamedInPlace(p.server, serverIno, moveOf('album', 'album-2026'), 'server, while running');
      assert.deepEqual(await listVersions(p.server), [], 'remote versions, while running');

      serverIno = await inodes(p.server);
      await mv(p.local, 'album-2026', 'album-2027');
      const second = startRun(p, log(2), args);
      try {
        const moved = withDirs(renamed(seed, 'album', 'album-2027'));
        await waitBothSides(second, p, lazy, moved, 'album-2027 on the remote after a restart');
        await stopRun(second);
      } finally {
        second.kill('SIGKILL');
      }
      await assertRenamedInPlace(p.server, serverIno, moveOf('album-2026', 'album-2027'), 'server, at start');
      assert.deepEqual(await listVersions(p.server), [], 'remote versions');
      assert.deepEqual(await listVersions(p.local), [], 'local versions');
    });
  }
});
