// `lazysync demo` as a newcomer runs it: it serves sample files over a private sshd, mounts them with
// sshfs, syncs them lazily, and on Ctrl-C leaves nothing behind: no mount, no sshd or sshfs, no folder.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  killAllCli,
  mountTypeOf,
  pidAlive,
  runCli,
  spawnCli,
  waitFor,
  type CliProcess,
} from '../fixture/index.js';

const READY = 'lazysync demo is ready';

/** The processes whose command line mentions `needle` (only the demo's own carry its temp path). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** `pid` and every process below it (sshd serves each connection from a child of its own). */
function withDescendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(e), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parentOf) if (parent === out[i]) out.push(child);
  }
  return out;
}

interface RunningDemo {
  proc: CliProcess;
  dir: string;
  socket: string;
  local: string;
  server: string;
  mount: string;
  /** sshd (with its per-connection children) and sshfs, as started by the demo. */
  pids: number[];
}

async function startDemo(base: string, extra: string[] = []): Promise<RunningDemo> {
  const dir = join(base, 'demo');
  const socket = join(base, 'run', 'daemon.sock');
  const proc = spawnCli(['demo', '--dir', dir, '--socket', socket, ...extra]);
  await waitFor(
    () => {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`lazysync demo exited before it was ready\n${describeOutput(proc.output())}`);
      return proc.output().stdout.includes(READY);
    },
    `"${READY}" from lazysync demo`,
    120_000,
  );
  const stdout = proc.output().stdout;
  const line = stdout.split('\n').find((l) => /^\s+L=/.test(l));
  assert.ok(line !== undefined, `no L=... S=... line to paste\n${stdout}`);
  const [, local, server] = /L=(\S+) S=(\S+)/.exec(line) ?? [];
  assert.equal(local, join(dir, 'local'), stdout);
  assert.equal(server, join(dir, 'server'), stdout);
  const mount = join(dir, 'mnt');
  const sshd = pidsMentioning(join(dir, 'ssh', 'sshd_config'));
  const sshfs = pidsMentioning(`${mount}\0`);
  assert.equal(sshd.length, 1, `one sshd of the demo: ${sshd.join(', ')}`);
  assert.equal(sshfs.length, 1, `one sshfs of the demo: ${sshfs.join(', ')}`);
  return {
    proc,
    dir,
    socket,
    local: local ?? '',
    server: server ?? '',
    mount,
    pids: [...withDescendants(sshd[0] ?? 0), ...sshfs],
  };
}

async function assertAllGone(d: RunningDemo): Promise<void> {
  await waitFor(
    () => d.pids.every((pid) => !pidAlive(pid)),
    `the demo's sshd and sshfs (${d.pids.join(', ')}) to be gone`,
    10_000,
  );
  assert.equal(mountTypeOf(d.mount), undefined, `${d.mount} is still mounted`);
  assert.equal(existsSync(d.socket), false, `the socket ${d.socket} is still there`);
}

describe('lazysync demo', { timeout: 600_000 }, () => {
  const bases: string[] = [];
  const newBase = async (): Promise<string> => {
    const b = await mkdtemp(join(tmpdir(), 'lazysync-demo-test-'));
    bases.push(b);
    return b;
  };
  after(async () => {
    await killAllCli();
    for (const b of bases) await rm(b, { recursive: true, force: true });
  });

  it('shows placeholders, downloads one when opened, uploads an edit; Ctrl-C removes everything', async () => {
    const d = await startDemo(await newBase());
    assert.equal(mountTypeOf(d.mount), 'fuse.sshfs');
    const out = d.proc.output().stdout;
    assert.match(out, /cat \$L\/notes\/readme\.txt/, out);
    assert.match(out, new RegExp(`status --watch --socket ${d.socket.replace(/[.]/g, '\\.')}`), out);

    // Every sample file is a placeholder: a symlink into the mount.
    const readme = join(d.local, 'notes', 'readme.txt');
    assert.ok((await lstat(readme)).isSymbolicLink(), 'notes/readme.txt is a placeholder');
    assert.equal(await readlink(readme), join(d.mount, 'notes', 'readme.txt'));
    assert.ok((await lstat(join(d.local, 'photos', '2024-summer', 'IMG_0001.jpg'))).isSymbolicLink());
    assert.ok((await lstat(join(d.local, 'project', 'src', 'util', 'strings.c'))).isSymbolicLink());

    // The client finds the demo's daemon on the socket it printed.
    const status = await runCli(['status', '--json', '--socket', d.socket]);
    assert.equal(status.code, 0, describeResult(status));
    const pairs = (JSON.parse(status.stdout) as { pairs: { name: string; local: string }[] }).pairs;
    assert.deepEqual(
      pairs.map((p) => [p.name, p.local]),
      [['demo', d.local]],
    );

    // Opening the placeholder reads the server's content, and makes it a local copy.
    const onServer = await readFile(join(d.server, 'notes', 'readme.txt'), 'utf8');
    assert.equal(await readFile(readme, 'utf8'), onServer);
    await waitFor(async () => (await lstat(readme)).isFile(), 'notes/readme.txt to become a local copy');
    assert.equal(await readFile(readme, 'utf8'), onServer);

    // A local edit reaches the server folder.
    await appendFile(readme, 'edited by the test\n');
    await waitFor(
      async () =>
        (await readFile(join(d.server, 'notes', 'readme.txt'), 'utf8')).endsWith('edited by the test\n'),
      'the local edit to reach the server folder',
      30_000,
    );

    const exit = await d.proc.stop('SIGINT', 60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, describeOutput(d.proc.output()));
    await assertAllGone(d);
    assert.equal(existsSync(d.dir), false, `${d.dir} is still there`);
    assert.match(d.proc.output().stdout, /lazysync demo: stopped; removed /);
  });

  it('--keep leaves the server and local folders, but no mount, sshd or sshfs', async () => {
    const d = await startDemo(await newBase(), ['--keep']);
    const exit = await d.proc.stop('SIGTERM', 60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, describeOutput(d.proc.output()));
    await assertAllGone(d);
    assert.equal(readFileSync(join(d.server, 'notes', 'todo.md'), 'utf8').startsWith('# To do'), true);
    assert.ok((await lstat(join(d.local, 'notes', 'todo.md'))).isSymbolicLink());
    assert.match(d.proc.output().stdout, /files stay in /);
  });

  it('a second Ctrl-C forces the stop and still leaves nothing behind', async () => {
    const d = await startDemo(await newBase());
    d.proc.kill('SIGINT');
    d.proc.kill('SIGINT');
    // Whether the second signal lands before the orderly stop ends or not, nothing may be left.
    const exit = await d.proc.stop('SIGINT', 60_000);
    assert.ok(exit.code === 0 || exit.code === 130, describeOutput(d.proc.output()));
    await assertAllGone(d);
    assert.equal(existsSync(d.dir), false, `${d.dir} is still there`);
  });

  it('says in one line what to install when sshfs and ssh are missing (exit 2)', async () => {
    const base = await newBase();
    const r = await runCli(['demo', '--dir', join(base, 'demo')], { env: { PATH: join(base, 'empty') } });
    assert.equal(r.code, 2, describeResult(r));
    assert.match(
      r.stderr,
      /^lazysync: [^\n]*apt-get install sshfs openssh-server[^\n]*\n$/,
      describeResult(r),
    );
    assert.equal(existsSync(join(base, 'demo')), false, 'nothing was made');
  });
});
