import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, namedPairFrom } from '../config-file.js';
import { LazysyncError } from '../errors.js';
import { silentLogger } from '../log.js';
import { Daemon, type DaemonOptions } from './daemon.js';
import { pidFilePath, readPidFile } from './pid.js';
import { DaemonRunningError } from './socket.js';
import { request, standIns, tempPairs, type StandInScript } from '../../test/unit/daemon.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(
  names: string[],
  scripts: Record<string, StandInScript> = {},
  extra: Partial<DaemonOptions> = {},
) {
  const t = tempPairs(...names);
  dirs.push(t.dir);
  const runners = standIns(scripts);
  const opts: DaemonOptions = {
    socket: t.socket,
    configPath: join(t.dir, 'config.toml'),
    pairs: names.map((n) => namedPairFrom(n, t.remote(n), t.local(n), {})),
    log: silentLogger(),
    persist: true,
    createRunner: runners.create,
    handleSignals: false,
    ...extra,
  };
  return { t, runners, opts };
}

describe('Daemon', () => {
  it('lists a pair that failed to start in state error with the reason; the others run', async () => {
    const { t, runners, opts } = setup(['a', 'b'], {
      a: {
        failStart: new LazysyncError(
          'locked',
          'another lazysync (pid 42) is already running for this local folder',
        ),
      },
    });
    const d = await Daemon.start(opts);
    const failed = await d.whenStarted();
    assert.deepEqual(
      failed.map((f) => [f.name, f.error instanceof LazysyncError && f.error.code]),
      [['a', 'locked']],
    );
    try {
      const s = (await request(t.socket, 'GET', '/v1/status')).json as {
        pairs: { name: string; state: string; reason: string | null; local: string }[];
      };
      assert.deepEqual(
        s.pairs.map((p) => [p.name, p.state, p.reason]),
        [
          ['a', 'error', 'another lazysync (pid 42) is already running for this local folder'],
          ['b', 'idle', null],
        ],
      );
      assert.equal(s.pairs[0]?.local, t.local('a'));
      assert.ok(runners.get('b').started);
      assert.deepEqual(runners.get('a').calls, [['start'], ['stop']]);
      const r = await request(t.socket, 'POST', '/v1/pairs/a/rescan');
      assert.equal(r.status, 409);
      assert.match(
        (r.json as { error: { message: string } }).error.message,
        /^pair a is not running: another lazysync/,
      );
      const pin = await request(t.socket, 'POST', '/v1/pin', { paths: [join(t.local('a'), 'x')] });
      assert.equal(pin.status, 409);
    } finally {
      await d.shutdown();
    }
  });

  it('refuses a second daemon on the same socket, naming the first one’s pid, before starting any pair', async () => {
    const { opts } = setup(['a']);
    const d = await Daemon.start(opts);
    try {
      const second = standIns();
      await assert.rejects(
        Daemon.start({ ...opts, createRunner: second.create }),
        (e: unknown) =>
          e instanceof DaemonRunningError &&
          e.code === 'locked' &&
          e.pid === process.pid &&
          e.message === `another lazysync daemon is already running on ${opts.socket} (pid ${process.pid})`,
      );
      assert.equal(second.made.length, 0);
    } finally {
      await d.shutdown();
    }
  });

  it('a pair slow to start delays neither the API nor the other pairs; shutdown waits for it', async () => {
    const { t, runners, opts } = setup(['slow', 'fast'], { slow: { startDelayMs: 400 } });
    const d = await Daemon.start(opts);
    const s = await request(t.socket, 'GET', '/v1/status');
    assert.equal(s.status, 200);
    assert.equal(runners.get('slow').started, false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runners.get('fast').started, true);
    await d.shutdown();
    assert.deepEqual(runners.get('slow').calls, [['start'], ['stop']]);
    assert.ok(runners.get('slow').started && runners.get('slow').stopped);
  });

  it('shutdown: runners finish first (the API still answers), then socket and pid file go', async () => {
    const { t, runners, opts } = setup(['a'], { a: { stopDelayMs: 300 } });
    const d = await Daemon.start(opts);
    assert.equal(readPidFile(t.socket), process.pid);
    const r = await request(t.socket, 'POST', '/v1/shutdown');
    assert.deepEqual(r.json, { stopping: true });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(runners.get('a').stopped, false);
    // Still answering while the pair finishes, and refusing changes.
    assert.equal((await request(t.socket, 'GET', '/v1/status')).status, 200);
    const add = await request(t.socket, 'POST', '/v1/pairs', { remote: '/r', local: join(t.dir, 'x') });
    assert.equal(add.status, 409);
    assert.equal((add.json as { error: { message: string } }).error.message, 'the daemon is shutting down');
    await d.waitUntilStopped();
    assert.ok(runners.get('a').stopped);
    assert.equal(existsSync(t.socket), false);
    assert.equal(existsSync(pidFilePath(t.socket)), false);
    await d.shutdown(); // again: a no-op
  });

  it('a daemon for `run` (persist false) refuses to add or remove pairs', async () => {
    const { t, opts } = setup(['a', 'b']);
    const d = await Daemon.start({ ...opts, pairs: opts.pairs.slice(0, 1), persist: false });
    try {
      const add = await request(t.socket, 'POST', '/v1/pairs', {
        remote: t.remote('b'),
        local: t.local('b'),
      });
      assert.equal(add.status, 409);
      assert.match(
        (add.json as { error: { message: string } }).error.message,
        /has no config file; use `lazysync daemon`/,
      );
      assert.equal((await request(t.socket, 'DELETE', '/v1/pairs/a')).status, 409);
      assert.equal(existsSync(join(t.dir, 'config.toml')), false);
    } finally {
      await d.shutdown();
    }
  });

  it('add: a pair that cannot start is not saved; a started one is saved with its options', async () => {
    const { t, runners, opts } = setup(['a', 'b', 'c'], {
      b: {
        failStart: new LazysyncError(
          'locked',
          'another lazysync (pid 7) is already running for this local folder',
        ),
      },
    });
    const d = await Daemon.start({ ...opts, pairs: opts.pairs.slice(0, 1) });
    await d.whenStarted();
    try {
      const b = await request(t.socket, 'POST', '/v1/pairs', { remote: t.remote('b'), local: t.local('b') });
      assert.equal(b.status, 409);
      assert.equal(existsSync(opts.configPath ?? ''), false);
      assert.equal(d.runner('b'), undefined);
      const c = await request(t.socket, 'POST', '/v1/pairs', {
        remote: t.remote('c'),
        local: t.local('c'),
        options: { pin: ['docs/'], accessDetect: 'proc' },
      });
      assert.equal(c.status, 201, c.text);
      assert.equal((c.json as { name: string }).name, 'c'); // the local folder's name
      assert.ok(runners.get('c').started);
      const saved = loadConfigFile(opts.configPath ?? '');
      assert.deepEqual(
        saved.pairs.map((p) => [p.name, p.cfg.pin, p.cfg.accessDetect]),
        [['c', ['docs/'], 'proc']],
      );
      assert.match(readFileSync(opts.configPath ?? '', 'utf8'), /access_detect = "proc"/);
    } finally {
      await d.shutdown();
    }
  });

  it('two adds at once cannot both take one name', async () => {
    const { t, opts } = setup(['a', 'b']);
    const d = await Daemon.start({ ...opts, pairs: [] });
    try {
      const [x, y] = await Promise.all([
        request(t.socket, 'POST', '/v1/pairs', { name: 'same', remote: t.remote('a'), local: t.local('a') }),
        request(t.socket, 'POST', '/v1/pairs', { name: 'same', remote: t.remote('b'), local: t.local('b') }),
      ]);
      assert.deepEqual([x.status, y.status].sort(), [201, 409]);
      assert.equal(loadConfigFile(opts.configPath ?? '').pairs.length, 1);
    } finally {
      await d.shutdown();
    }
  });

  it('refuses a pair list with two pairs on one local folder', async () => {
    const { t, opts } = setup(['a', 'b']);
    const clash = namedPairFrom('other', t.remote('b'), t.local('a'), {});
    await assert.rejects(
      Daemon.start({ ...opts, pairs: [...opts.pairs, clash] }),
      (e: unknown) =>
        e instanceof LazysyncError && e.code === 'usage' && /already belongs to pair 'a'/.test(e.message),
    );
  });

  it('SIGTERM stops the daemon and the process exits 0 with the socket removed', async () => {
    const { t } = setup(['a']);
    const url = (f: string): string => JSON.stringify(new URL(f, import.meta.url).href);
    const code = `
      import { Daemon } from ${url('./daemon.js')};
      import { namedPairFrom } from ${url('../config-file.js')};
      import { silentLogger } from ${url('../log.js')};
      import { standIns } from ${url('../../test/unit/daemon.js')};
      const d = await Daemon.start({
        socket: ${JSON.stringify(t.socket)},
        pairs: [namedPairFrom('a', ${JSON.stringify(t.remote('a'))}, ${JSON.stringify(t.local('a'))}, {})],
        log: silentLogger(), persist: false, createRunner: standIns({ a: { stopDelayMs: 100 } }).create,
      });
      process.stdout.write('ready\\n');
      await d.waitUntilStopped();
      process.stdout.write('stopped\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    while (!out.includes('ready')) await once(child.stdout, 'data');
    assert.equal(readPidFile(t.socket), child.pid);
    child.kill('SIGTERM');
    const [exitCode] = (await once(child, 'exit')) as [number | null];
    assert.equal(exitCode, 0);
    assert.equal(out, 'ready\nstopped\n');
    assert.equal(existsSync(t.socket), false);
    assert.equal(existsSync(pidFilePath(t.socket)), false);
  });
});
