// The control API itself (with curl --unix-socket, as docs/api.md suggests) and the client's plumbing:
// JSON errors, the owner-only socket, no daemon running, a stale socket, log levels at run time, the event
// stream, start/stop and the systemd unit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { dirname, join } from 'node:path';
import {
  binPath,
  describeResult,
  killAllCli,
  linesOf,
  newPair,
  pidAlive,
  runCli,
  startRemote,
  waitFor,
  writeTree,
  type CliResult,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import {
  NO_DAEMON,
  apiRequest,
  configToml,
  daemonDir,
  isPlaceholder,
  logLines,
  specOf,
  startDaemon,
  type Daemon,
} from '../fixture/daemon.js';

const HAVE_CURL = spawnSync('curl', ['--version']).status === 0;

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

/** One request with `curl --unix-socket` (node's http if curl is not installed). */
function api(socket: string, method: string, path: string, body?: string): Promise<Answer> {
  if (!HAVE_CURL) return apiRequest(socket, method, path, body);
  const args = ['-sS', '--unix-socket', socket, '-X', method, '-w', '\n%{http_code}', '--max-time', '20'];
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', body);
  args.push(`http://lazysync${path}`);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${args.join(' ')}: ${err.message}\n${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      const text = stdout.slice(0, cut);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(stdout.slice(cut + 1)), json, text });
    });
  });
}

/** The answer is an error of docs/api.md's shape with this code; returns its message. */
function assertApiError(a: Answer, status: number, code: string): string {
  assert.equal(a.status, status, `HTTP status of ${a.text}`);
  const err = (a.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  assert.ok(err !== undefined, `not a JSON error: ${a.text}`);
  assert.equal(err.code, code, a.text);
  assert.equal(typeof err.message, 'string', a.text);
  assert.notEqual(err.message, '', a.text);
  return err.message as string;
}

/** Exit 1 and exactly one stderr line matching `re`. */
function assertOneLineFailure(r: CliResult, re: RegExp, code = 1): void {
  assert.equal(r.code, code, describeResult(r));
  assert.equal(linesOf(r.stderr).length, 1, `one line on stderr:\n${describeResult(r)}`);
  assert.match(r.stderr, re, describeResult(r));
}

/** `node bin/lazysync.js ...args` as the user nobody. */
function runAsNobody(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr });
    });
  });
}

describe('daemon: control API and client plumbing', { timeout: 600_000 }, () => {
  let remote: Remote;
  let a: Pair;
  let d: Daemon;
  before(async () => {
    remote = await startRemote();
    a = await newPair(remote, 'api-a');
    await writeTree(a.server, { 'x.txt': 'x' });
    d = await startDaemon({ pairs: [specOf(a, 'A', { interval: 3600 })] });
    await d.waitPass('A');
  });
  after(async () => {
    await d?.stop().catch(() => undefined);
    await d?.dispose();
    await killAllCli();
    await remote.stop();
  });

  it(`answers with JSON errors (${HAVE_CURL ? 'curl --unix-socket' : 'node http: curl is not installed'})`, async () => {
    const ok = await api(d.socket, 'GET', '/v1/status');
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.json as { pid?: unknown }).pid, d.proc.pid, ok.text);
    const one = await api(d.socket, 'GET', '/v1/pairs/A');
    assert.equal(one.status, 200, one.text);
    assert.equal((one.json as { name?: unknown }).name, 'A');

    assertApiError(await api(d.socket, 'POST', '/v1/pin', '{"paths": [bad json'), 400, 'bad-request');
    assertApiError(await api(d.socket, 'PUT', '/v1/log-level', '{"level": '), 400, 'bad-request');
    assert.match(
      assertApiError(await api(d.socket, 'POST', '/v1/pin', '{"paths": 3}'), 400, 'bad-request'),
      /paths/,
    );
    assert.match(
      assertApiError(await api(d.socket, 'PUT', '/v1/log-level', '{"level": "loud"}'), 400, 'bad-request'),
      /level/,
    );
    assertApiError(
      await api(
        d.socket,
        'POST',
        '/v1/restore',
        JSON.stringify({ path: join(a.local, 'x.txt'), at: 'noon' }),
      ),
      400,
      'bad-request',
    );
    assertApiError(
      await api(d.socket, 'POST', '/v1/pairs', JSON.stringify({ remote: 'relative', local: a.local })),
      400,
      'bad-request',
    );

    assert.match(assertApiError(await api(d.socket, 'GET', '/v1/pairs/nope'), 404, 'not-found'), /nope/);
    assertApiError(await api(d.socket, 'POST', '/v1/pairs/nope/pause'), 404, 'not-found');
    assertApiError(await api(d.socket, 'DELETE', '/v1/pairs/nope'), 404, 'not-found');
    assertApiError(await api(d.socket, 'GET', '/v1/conflicts?pair=nope'), 404, 'not-found');
    assertApiError(
      await api(d.socket, 'POST', '/v1/pin', JSON.stringify({ paths: ['/nowhere/x'] })),
      404,
      'not-found',
    );
    assertApiError(await api(d.socket, 'GET', '/v1/no-such-endpoint'), 404, 'not-found');
    assertApiError(await api(d.socket, 'GET', '/status'), 404, 'not-found');
    const wrongMethod = await api(d.socket, 'DELETE', '/v1/status');
    assert.ok(wrongMethod.status >= 400 && wrongMethod.status < 500, wrongMethod.text);
    assert.ok((wrongMethod.json as { error?: unknown } | undefined)?.error !== undefined, wrongMethod.text);

    // A pair with that name exists: 409.
    assertApiError(
      await api(
        d.socket,
        'POST',
        '/v1/pairs',
        JSON.stringify({ name: 'A', remote: a.remote, local: join(remote.base, 'elsewhere') }),
      ),
      409,
      'conflict',
    );
    assert.equal((await d.pair('A')).state, 'idle', 'bad requests leave the pair alone');
  });

  it('the client turns API errors into one line and a non-zero exit', async () => {
    // A pair or a path that is not there is bad input: exit 2, like a bad value.
    assertOneLineFailure(await d.cli(['status', 'nope']), /nope/, 2);
    assertOneLineFailure(await d.cli(['pause', 'nope']), /nope/, 2);
    assertOneLineFailure(await d.cli(['pin', '/nowhere/x']), /not inside any pair/, 2);
    assertOneLineFailure(await d.cli(['log-level', 'loud']), /loud/, 2);
    assertOneLineFailure(await d.cli(['log-level', 'debug', 'nope']), /nope/, 2);
    assertOneLineFailure(await d.cli(['prune', 'nope']), /nope/, 2);
    assert.equal((await d.pair('A')).state, 'idle');
  });

  it('a client run as another user (nobody) cannot connect: the socket folder is 0700, the socket 0600', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('not root: cannot run a client as nobody');
      return;
    }
    const runDir = dirname(d.socket);
    assert.equal((await stat(runDir)).mode & 0o777, 0o700, `mode of ${runDir}`);
    assert.equal((await lstat(d.socket)).mode & 0o777, 0o600, `mode of ${d.socket}`);
    // Everything above the socket's folder is open to nobody, so that folder alone keeps it out.
    await chmod(d.dir, 0o755);
    for (let dir = dirname(d.dir); dir !== '/'; dir = dirname(dir)) {
      assert.ok(((await stat(dir)).mode & 0o001) !== 0, `${dir} is not searchable by others`);
    }
    const version = await runAsNobody(['--version']);
    if (version.code !== 0) {
      t.skip(`nobody cannot run ${binPath} at all: ${describeResult(version)}`);
      return;
    }
    const r = await runAsNobody(['status', '--socket', d.socket]);
    assert.notEqual(r.code, 0, describeResult(r));
    assert.equal(linesOf(r.stderr).length, 1, describeResult(r));
    assert.match(r.stderr, /permission denied|another user/i, describeResult(r));
    const json = await runAsNobody(['status', '--json', '--socket', d.socket]);
    assert.notEqual(json.code, 0, describeResult(json));
    assert.equal(json.stdout, '', 'nothing of the status reached nobody');
    assert.equal((await d.pair('A')).state, 'idle', 'the daemon goes on for its owner');
  });

  it('log-level changes the log detail at run time, for one pair or for everything (stderr and --log-file)', async () => {
    const debugLines = (pred: (l: { msg?: string; [k: string]: unknown }) => boolean) =>
      logLines(d.logFile).filter((l) => l.level === 20 && pred(l));
    const stderrDebug = (re: RegExp): string[] =>
      linesOf(d.proc.output().stderr).filter((l) => /\bDEBUG\b/.test(l) && re.test(l));
    // At info, a refused request leaves no debug line.
    assertApiError(await api(d.socket, 'GET', '/v1/pairs/before-debug'), 404, 'not-found');

    const pairOnly = await d.ok(['log-level', 'debug', 'A']);
    assert.match(pairOnly.stdout, /debug/, pairOnly.stdout);
    await writeTree(a.local, { 'local-change.txt': 'wakes the pair' });
    await d.waitFor(() => stderrDebug(/\bA\b/).length > 0, 'a debug line of pair A on stderr');
    await d.waitFor(
      () => debugLines((l) => l.pair === 'A').length > 0,
      'a debug line of pair A in the --log-file too (it is on stderr)',
    );

    const all = await d.ok(['log-level', 'debug']);
    assert.match(all.stdout, /debug/, all.stdout);
    assertApiError(await api(d.socket, 'GET', '/v1/pairs/after-debug'), 404, 'not-found');
    await d.waitFor(
      () => stderrDebug(/after-debug/).length > 0,
      'the daemon to log the refused request at debug level on stderr',
    );
    await d.waitFor(
      () => debugLines((l) => JSON.stringify(l).includes('after-debug')).length > 0,
      'the daemon to log the refused request at debug level in the --log-file',
    );
    assert.deepEqual(stderrDebug(/before-debug/), [], 'a debug line was written before log-level debug');
    assert.deepEqual(
      debugLines((l) => JSON.stringify(l).includes('before-debug')),
      [],
      'a debug line was written before log-level debug',
    );

    await d.ok(['log-level', 'info']);
    assertApiError(await api(d.socket, 'GET', '/v1/pairs/back-at-info'), 404, 'not-found');
    // Lines are written in order: once a later info line is there, a debug line before it would be too.
    const passLines = (): number =>
      logLines(d.logFile).filter((l) => l.level === 30 && /^pass: /.test(l.msg ?? '')).length;
    const before = passLines();
    await writeTree(a.server, { 'later.txt': 'later' });
    await a.caughtUp?.(); // until the mount shows the change, as a user would wait
    await d.ok(['rescan', 'A']);
    await d.waitFor(() => isPlaceholder(a, 'later.txt'), 'later.txt');
    await d.waitFor(() => passLines() > before, 'an info line of the pass that made later.txt');
    assert.deepEqual(stderrDebug(/back-at-info/), []);
    assert.deepEqual(
      debugLines((l) => JSON.stringify(l).includes('back-at-info')),
      [],
    );
  });

  it('the event stream sends state changes as `data: {json}` lines', async () => {
    const events: { type?: string; pair?: string; state?: string; time?: string }[] = [];
    const req = http.get({ socketPath: d.socket, path: '/v1/events', headers: { host: 'lazysync' } });
    const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    try {
      const res = await opened;
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as (typeof events)[number]);
        }
      });
      await d.ok(['pause', 'A']);
      await d.ok(['resume', 'A']);
      await waitFor(
        () => events.some((e) => e.type === 'state' && e.pair === 'A' && e.state === 'paused'),
        'a state event "paused" for A',
      );
      const paused = events.find((e) => e.type === 'state' && e.state === 'paused');
      assert.match(paused?.time ?? '', /^\d{4}-\d{2}-\d{2}T/, JSON.stringify(paused));
      await waitFor(
        () => events.some((e) => e.type === 'state' && e.pair === 'A' && e.state !== 'paused'),
        'a state event after resume',
      );
    } finally {
      req.destroy();
    }
  });

  it('with no daemon on the socket, client commands say so in one line and how to start one (exit 1)', async () => {
    const dir = await daemonDir();
    try {
      const socket = join(dir.dir, 'run', 'daemon.sock');
      const f = join(a.local, 'x.txt');
      for (const cmd of [
        ['status'],
        ['status', '--json'],
        ['pause'],
        ['rescan', 'A'],
        ['pin', f],
        ['free', f],
        ['versions', f],
        ['conflicts'],
        ['log-level', 'debug'],
        ['stop'],
      ]) {
        const r = await runCli([cmd[0] ?? '', '--socket', socket, ...cmd.slice(1)], { env: dir.env });
        assertOneLineFailure(r, NO_DAEMON);
        assert.match(r.stderr, /lazysync start/, describeResult(r));
        assert.equal(r.stdout, '', describeResult(r));
      }
    } finally {
      await rm(dir.dir, { recursive: true, force: true });
    }
  });

  it('a daemon killed with SIGKILL leaves a stale socket: clients say "no daemon", a new daemon takes it over', async () => {
    const dir = await daemonDir();
    const first = await startDaemon({ dir, pairs: [] });
    let second: Daemon | undefined;
    try {
      first.proc.kill('SIGKILL');
      await first.proc.exited;
      assert.ok(existsSync(dir.socket), 'a SIGKILLed daemon cannot remove its socket');
      const r = await runCli(['status', '--socket', dir.socket], { env: dir.env });
      assertOneLineFailure(r, NO_DAEMON);
      second = await startDaemon({ dir, writeConfig: false });
      const s = await second.status();
      assert.equal(s.pid, second.proc.pid);
      assert.deepEqual(s.pairs, []);
      await second.stop();
      assert.equal(existsSync(dir.socket), false);
    } finally {
      await second?.dispose();
      await first.dispose();
    }
  });

  it('start returns once the daemon answers; stop asks it to exit and waits until it has', async () => {
    const dir = await daemonDir();
    const p = await newPair(remote, 'api-start');
    await writeTree(p.server, { 's.txt': 's' });
    await writeFile(dir.config, configToml([specOf(p, 'S', { interval: 3600 })]));
    let pid: number | undefined;
    try {
      const started = await runCli(['start', '--config', dir.config, '--socket', dir.socket], {
        env: dir.env,
        timeoutMs: 60_000,
      });
      assert.equal(started.code, 0, describeResult(started));
      // No waiting: it answers as soon as start has returned.
      const s = await runCli(['status', '--json', '--socket', dir.socket], { env: dir.env });
      assert.equal(s.code, 0, `start returned before the daemon answered\n${describeResult(s)}`);
      const status = JSON.parse(s.stdout) as { pid: number; pairs: { name: string }[] };
      pid = status.pid;
      assert.ok(pidAlive(pid));
      assert.deepEqual(
        status.pairs.map((x) => x.name),
        ['S'],
      );
      await waitFor(() => isPlaceholder(p, 's.txt'), 'the started daemon to sync its pair');

      // Another start on that socket starts no second daemon, and says why.
      const again = await runCli(['start', '--config', dir.config, '--socket', dir.socket], {
        env: dir.env,
        timeoutMs: 60_000,
      });
      assert.match(`${again.stdout}\n${again.stderr}`, /already running/i, describeResult(again));
      const after = await runCli(['status', '--json', '--socket', dir.socket], { env: dir.env });
      assert.equal((JSON.parse(after.stdout) as { pid: number }).pid, pid, 'the daemon was replaced');

      const stopped = await runCli(['stop', '--socket', dir.socket], { env: dir.env, timeoutMs: 60_000 });
      assert.equal(stopped.code, 0, describeResult(stopped));
      assert.match(stopped.stdout, /stopped/, describeResult(stopped));
      assert.equal(existsSync(dir.socket), false, 'the socket is gone once stop returns');
      const daemonPid = pid;
      await waitFor(() => !pidAlive(daemonPid), `the daemon (pid ${daemonPid}) to exit`, 10_000);
      assertOneLineFailure(await runCli(['status', '--socket', dir.socket], { env: dir.env }), NO_DAEMON);
    } finally {
      if (pid !== undefined && pidAlive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir.dir, { recursive: true, force: true });
    }
  });

  it('service install --print prints a unit running `lazysync.js daemon` and writes nothing; install writes it', async () => {
    const dir = await daemonDir();
    try {
      const r = await runCli(['service', 'install', '--print'], { env: dir.env });
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /^\[Service\]$/m, r.stdout);
      assert.match(r.stdout, /^ExecStart=.*lazysync\.js"? daemon\b/m, r.stdout);
      assert.match(r.stdout, /^\[Install\]$/m, r.stdout);
      const unit = join(dir.env.XDG_CONFIG_HOME ?? '', 'systemd', 'user', 'lazysync.service');
      assert.equal(existsSync(unit), false, '--print must not write the unit');

      const w = await runCli(['service', 'install'], { env: dir.env });
      assert.equal(w.code, 0, describeResult(w));
      assert.equal(await readFile(unit, 'utf8'), r.stdout, 'the unit written is the one printed');
      assert.match(w.stdout, /systemctl --user/, w.stdout);
    } finally {
      await rm(dir.dir, { recursive: true, force: true });
    }
  });
});
