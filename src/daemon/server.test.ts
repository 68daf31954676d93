import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, namedPairFrom } from '../config-file.js';
import { silentLogger } from '../log.js';
import { Daemon } from './daemon.js';
import { request, standIns, tempPairs, type Reply } from '../../test/unit/daemon.js';

const t = tempPairs('a', 'b', 'c');
const configPath = join(t.dir, 'config.toml');
const runners = standIns({ b: { edited: new Set(['dirty.txt']) } });
let daemon: Daemon;

const req = (method: string, path: string, body?: unknown): Promise<Reply> =>
  request(t.socket, method, path, body);

function assertError(r: Reply, status: number, code: string, message: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const err = (r.json as { error: { code: string; message: string } }).error;
  assert.equal(err.code, code);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
}

before(async () => {
  daemon = await Daemon.start({
    socket: t.socket,
    configPath,
    pairs: [
      namedPairFrom('a', t.remote('a'), t.local('a'), {}),
      namedPairFrom('b', t.remote('b'), t.local('b'), { lazy: false, maxSize: '1M' }),
    ],
    log: silentLogger(),
    persist: true,
    createRunner: runners.create,
    handleSignals: false,
    keepaliveMs: 50,
  });
  await daemon.whenStarted();
});

after(async () => {
  await daemon.shutdown();
  rmSync(t.dir, { recursive: true, force: true });
});

describe('control API: pairs', () => {
  it('GET /v1/status lists every pair', async () => {
    const r = await req('GET', '/v1/status');
    assert.equal(r.status, 200);
    const body = r.json as { version: string; pid: number; pairs: { name: string; state: string }[] };
    assert.equal(body.version, '0.1.0');
    assert.equal(body.pid, process.pid);
    assert.deepEqual(
      body.pairs.map((p) => [p.name, p.state]),
      [
        ['a', 'idle'],
        ['b', 'idle'],
      ],
    );
  });

  it('GET /v1/pairs/NAME is one PairStatus; an unknown pair is 404', async () => {
    const r = await req('GET', '/v1/pairs/b');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, runners.get('b').status());
    assert.equal((r.json as { options: { maxSize: number } }).options.maxSize, 2 ** 20);
    assertError(await req('GET', '/v1/pairs/zz'), 404, 'not-found', "no pair named 'zz' (pairs: a, b)");
    assertError(await req('POST', '/v1/pairs/zz/pause'), 404, 'not-found', /no pair named 'zz'/);
  });

  it('pause, resume (with confirmDeletes) and rescan reach the runner', async () => {
    const a = runners.get('a');
    const paused = await req('POST', '/v1/pairs/a/pause');
    assert.equal(paused.status, 200);
    assert.equal((paused.json as { state: string }).state, 'paused');
    const resumed = await req('POST', '/v1/pairs/a/resume', { confirmDeletes: true });
    assert.equal((resumed.json as { state: string }).state, 'idle');
    await req('POST', '/v1/pairs/a/resume');
    assert.deepEqual(await req('POST', '/v1/pairs/a/rescan', {}).then((r) => r.json), { started: true });
    assert.deepEqual(a.calls.slice(-4), [['pause'], ['resume', true], ['resume', false], ['rescan']]);
    assertError(
      await req('POST', '/v1/pairs/a/resume', { confirmDeletes: 'yes' }),
      400,
      'bad-request',
      'body.confirmDeletes: expected true or false, not the string "yes"',
    );
    assertError(
      await req('POST', '/v1/pairs/a/rescan', { now: true }),
      400,
      'bad-request',
      'body.now: unknown key',
    );
  });

  it('PUT /v1/log-level sets one pair or all', async () => {
    assert.deepEqual((await req('PUT', '/v1/log-level', { level: 'debug', pair: 'a' })).json, {
      level: 'debug',
    });
    assert.equal(runners.get('a').level, 'debug');
    assert.equal(runners.get('b').level, 'info');
    assert.deepEqual((await req('PUT', '/v1/log-level', { level: 'warn' })).json, { level: 'warn' });
    assert.equal(runners.get('a').level, 'warn');
    assert.equal(runners.get('b').level, 'warn');
    assertError(
      await req('PUT', '/v1/log-level', { level: 'loud' }),
      400,
      'bad-request',
      'body.level: expected one of trace, debug, info, warn, error',
    );
    assertError(
      await req('PUT', '/v1/log-level', { level: 'info', pair: 'zz' }),
      404,
      'not-found',
      /no pair named 'zz'/,
    );
  });

  it('POST /v1/pairs starts and saves a pair (201); DELETE stops and unsaves it', async () => {
    const added = await req('POST', '/v1/pairs', {
      name: 'c',
      remote: t.remote('c'),
      local: t.local('c'),
      options: { interval: 5, ignore: ['*.o'] },
    });
    assert.equal(added.status, 201, added.text);
    assert.equal((added.json as { name: string; options: { interval: number } }).options.interval, 5);
    assert.ok(runners.get('c').started);
    assert.deepEqual(
      loadConfigFile(configPath).pairs.map((p) => [p.name, p.cfg.interval, p.cfg.ignore]),
      [['c', 5, ['*.o']]],
    );
    const removed = await req('DELETE', '/v1/pairs/c');
    assert.deepEqual(removed.json, { removed: 'c' });
    assert.ok(runners.get('c').stopped);
    assert.deepEqual(loadConfigFile(configPath).pairs, []);
    assertError(await req('DELETE', '/v1/pairs/c'), 404, 'not-found', "no pair named 'c' (pairs: a, b)");
  });

  it('POST /v1/pairs refuses a taken name or folder (409) and bad fields (400)', async () => {
    const body = { remote: t.remote('c'), local: t.local('c') };
    assertError(
      await req('POST', '/v1/pairs', { ...body, name: 'a' }),
      409,
      'conflict',
      /a pair named 'a' already exists/,
    );
    assertError(
      await req('POST', '/v1/pairs', { ...body, name: 'other', local: t.local('a') }),
      409,
      'conflict',
      `the local folder ${t.local('a')} already belongs to pair 'a'`,
    );
    assertError(
      await req('POST', '/v1/pairs', { local: t.local('c') }),
      400,
      'bad-request',
      'body.remote: is required',
    );
    assertError(
      await req('POST', '/v1/pairs', { ...body, remote: 'rel' }),
      400,
      'bad-request',
      'body.remote: must be an absolute path',
    );
    assertError(
      await req('POST', '/v1/pairs', { ...body, options: { interval: '5' } }),
      400,
      'bad-request',
      'body.options.interval: expected a number, not the string "5"',
    );
    assertError(
      await req('POST', '/v1/pairs', { ...body, options: { max_size: '1G' } }),
      400,
      'bad-request',
      'body.options.max_size: unknown key',
    );
    // pairConfigFrom's own checks come back as bad requests too.
    assertError(
      await req('POST', '/v1/pairs', { remote: t.remote('c'), local: join(t.remote('c'), 'in') }),
      400,
      'bad-request',
      /is inside the remote folder/,
    );
    assertError(
      await req('POST', '/v1/pairs', [1]),
      400,
      'bad-request',
      'body: expected an object, not an array',
    );
    assert.deepEqual(loadConfigFile(configPath).pairs, []);
  });
});

describe('control API: paths', () => {
  it('POST /v1/pin splits paths by pair and hands each runner its relative paths (bytes)', async () => {
    const r = await req('POST', '/v1/pin', {
      paths: [join(t.local('a'), 'x.txt'), join(t.local('b'), 'd\u00e9j\u00e0'), join(t.local('a'), 'dir')],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      pinned: [
        { pair: 'a', path: 'x.txt', files: 1 },
        { pair: 'a', path: 'dir', files: 1 },
        { pair: 'b', path: 'd\u00e9j\u00e0', files: 1 },
      ],
    });
    assert.deepEqual(runners.get('a').calls.at(-1), ['pin', ['x.txt', 'dir']]);
    assert.deepEqual(runners.get('b').calls.at(-1), [
      'pin',
      [Buffer.from('d\u00e9j\u00e0').toString('latin1')],
    ]);
  });

  it('POST /v1/unpin', async () => {
    const r = await req('POST', '/v1/unpin', { paths: [join(t.local('b'), 'x')] });
    assert.deepEqual(r.json, { unpinned: [{ pair: 'b', path: 'x' }] });
  });

  it('POST /v1/free: freed and refused; 409 if nothing could be freed', async () => {
    const r = await req('POST', '/v1/free', {
      paths: [join(t.local('b'), 'clean.txt'), join(t.local('b'), 'dirty.txt')],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      freed: [{ pair: 'b', path: 'clean.txt' }],
      refused: [{ pair: 'b', path: 'dirty.txt', reason: 'edited since it was downloaded' }],
    });
    const only = await req('POST', '/v1/free', { paths: [join(t.local('b'), 'dirty.txt')] });
    assertError(only, 409, 'conflict', 'nothing was freed: dirty.txt: edited since it was downloaded');
    assert.deepEqual((only.json as { refused: unknown[] }).refused, [
      { pair: 'b', path: 'dirty.txt', reason: 'edited since it was downloaded' },
    ]);
  });

  it('GET /v1/versions?path=', async () => {
    const p = join(t.local('a'), 'sub', 'f.txt');
    const r = await req('GET', `/v1/versions?path=${encodeURIComponent(p)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {
      pair: 'a',
      path: 'sub/f.txt',
      versions: [
        { side: 'local', stamp: '20260101-120000', size: 3, kind: 'file', file: '/v/a~20260101-120000' },
      ],
    });
    assertError(await req('GET', '/v1/versions'), 400, 'bad-request', 'query.path: is required');
  });

  it('POST /v1/restore, with and without `at`; a runner usage error is a 400', async () => {
    const p = join(t.local('a'), 'f.txt');
    assert.deepEqual((await req('POST', '/v1/restore', { path: p })).json, {
      pair: 'a',
      path: 'f.txt',
      restored: { side: 'remote', stamp: '20260101-120000' },
    });
    assert.deepEqual(runners.get('a').calls.at(-1), ['restore', 'f.txt', undefined]);
    const at = await req('POST', '/v1/restore', { path: p, at: '20250101-000000' });
    assert.deepEqual((at.json as { restored: unknown }).restored, {
      side: 'remote',
      stamp: '20250101-000000',
    });
    assertError(
      await req('POST', '/v1/restore', { path: p, at: 'yesterday' }),
      400,
      'bad-request',
      'body.at: expected a time stamp like 20261128-101500',
    );
    assertError(
      await req('POST', '/v1/restore', { path: p, at: '19990101-000000' }),
      400,
      'bad-request',
      'f.txt has no version at 19990101-000000',
    );
  });

  it('GET /v1/conflicts lists every pair, or one', async () => {
    const all = (await req('GET', '/v1/conflicts')).json as { conflicts: { pair: string }[] };
    assert.deepEqual(
      all.conflicts.map((c) => c.pair),
      ['a', 'b'],
    );
    const one = await req('GET', '/v1/conflicts?pair=b');
    assert.deepEqual(one.json, {
      conflicts: [
        {
          pair: 'b',
          path: 'a.txt',
          copy: 'a.conflict-20260101-120000.txt',
          copyMtime: null,
          originalMtime: null,
        },
      ],
    });
    assertError(await req('GET', '/v1/conflicts?pair=zz'), 404, 'not-found', /no pair named 'zz'/);
  });

  it('a path in no pair is 404 naming it; a relative path or an empty list is 400; nothing is done', async () => {
    const before = runners.get('a').calls.length;
    assertError(
      await req('POST', '/v1/pin', { paths: [join(t.local('a'), 'ok'), '/etc/passwd'] }),
      404,
      'not-found',
      "/etc/passwd is not inside any pair's local folder",
    );
    assertError(
      await req('POST', '/v1/unpin', { paths: [`${t.local('a')}/../b/../../x`] }),
      404,
      'not-found',
      `${join(t.dir, 'x')} is not inside any pair's local folder`,
    );
    assertError(
      await req('POST', '/v1/free', { paths: ['a/b'] }),
      400,
      'bad-request',
      '"a/b" is not an absolute path',
    );
    assertError(
      await req('POST', '/v1/pin', { paths: [] }),
      400,
      'bad-request',
      'body.paths: must list at least one path',
    );
    assertError(
      await req('POST', '/v1/pin', { paths: [3] }),
      400,
      'bad-request',
      'body.paths[0]: expected a string, not number 3',
    );
    assert.equal(runners.get('a').calls.length, before);
  });
});

describe('control API: protocol', () => {
  it('bad JSON is a 400 JSON error', async () => {
    assertError(
      await req('POST', '/v1/pin', '{"paths": ['),
      400,
      'bad-request',
      /^the request body is not valid JSON: /,
    );
  });

  it('a body over 1 MiB is refused', async () => {
    const big = JSON.stringify({ paths: ['x'.repeat(1 << 20)] });
    assertError(
      await req('POST', '/v1/pin', big),
      400,
      'bad-request',
      'the request body is larger than 1048576 bytes',
    );
  });

  it('an unknown endpoint is 404, a wrong method 405 with Allow', async () => {
    assertError(await req('GET', '/v1/nope'), 404, 'not-found', /^no endpoint \/v1\/nope/);
    assertError(await req('GET', '/status'), 404, 'not-found', /^no endpoint \/status/);
    const r = await req('DELETE', '/v1/status');
    assertError(r, 405, 'bad-request', 'DELETE is not allowed on /v1/status (allowed: GET)');
    assert.equal(r.headers.allow, 'GET');
    assertError(await req('PUT', '/v1/pairs/a'), 405, 'bad-request', /allowed: GET, DELETE/);
    assertError(await req('POST', '/v1/events'), 405, 'bad-request', /allowed: GET/);
  });

  it('GET /v1/events streams each event with its time, keepalives, and lets go on close', async () => {
    const listeners = (daemon as unknown as { listeners: Set<unknown> }).listeners;
    const before = listeners.size;
    let text = '';
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ socketPath: t.socket, path: '/v1/events' }, resolve).on('error', reject);
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    res.setEncoding('utf8');
    const until = (pred: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (pred()) {
            res.off('data', onData);
            resolve();
          }
        };
        const onData = (c: string): void => {
          text += c;
          check();
        };
        res.on('data', onData);
        check();
      });
    await until(() => text.includes(': connected'));
    runners
      .get('b')
      .send({ type: 'conflict', pair: 'b', path: 'x.txt', copy: 'x.conflict-20260101-120000.txt' });
    await until(() => text.includes('data: '));
    const line = text.split('\n').find((l) => l.startsWith('data: ')) ?? '';
    const e = JSON.parse(line.slice('data: '.length)) as Record<string, string>;
    assert.equal(e.type, 'conflict');
    assert.equal(e.copy, 'x.conflict-20260101-120000.txt');
    assert.ok(!Number.isNaN(Date.parse(e.time ?? '')) && e.time?.endsWith('Z'), e.time);
    assert.match(text, /data: [^\n]*\n\n/);
    await until(() => text.includes(': keepalive\n\n'));
    assert.equal(listeners.size, before + 1);
    res.destroy();
    for (let i = 0; i < 50 && listeners.size !== before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(listeners.size, before);
  });

  it('a client running as another user (nobody) cannot connect', async (tc) => {
    if (process.getuid?.() !== 0) {
      tc.skip('needs root to run a client as nobody');
      console.log('# skipped: the nobody test needs root to switch users');
      return;
    }
    const code = `require('net').connect(${JSON.stringify(t.socket)})
      .on('connect', () => { console.log('connected'); process.exit(0); })
      .on('error', (e) => { console.log(e.code); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', code], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    await new Promise((r) => child.on('close', r));
    assert.equal(out.trim(), 'EACCES');
    // Also with the folder opened up: the socket's own 0600 keeps nobody out.
    const dir = join(t.socket, '..');
    chmodSync(dir, 0o711);
    chmodSync(t.dir, 0o711);
    try {
      const again = spawn(process.execPath, ['-e', code], {
        uid: 65534,
        gid: 65534,
        cwd: '/',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out2 = '';
      again.stdout.setEncoding('utf8').on('data', (c: string) => (out2 += c));
      await new Promise((r) => again.on('close', r));
      assert.equal(out2.trim(), 'EACCES');
    } finally {
      chmodSync(dir, 0o700);
      chmodSync(t.dir, 0o700);
    }
  });
});
