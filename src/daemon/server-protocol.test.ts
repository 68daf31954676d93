import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Daemon } from './daemon.js';
import { assertError, controlApiSetup } from '../../test/unit/control-api.js';

const { t, runners, req, start, stop } = controlApiSetup();
let daemon: Daemon;

before(async () => {
  daemon = await start();
});

after(() => stop(daemon));

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
