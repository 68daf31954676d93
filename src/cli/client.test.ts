import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LazysyncError } from '../errors.js';
import {
  ApiClient,
  ApiError,
  NoDaemonError,
  answerError,
  connectionError,
  pairUrl,
  type ApiEvent,
} from './client.js';
import { apiError, startStandIn, waitFor, type StandIn } from '../../test/unit/api.js';

describe('ApiClient.request', () => {
  let api: StandIn;
  before(async () => {
    api = await startStandIn({
      'POST /v1/echo': (req) => ({ status: 201, body: { got: req.body, url: req.url } }),
      'GET /v1/bad': () => apiError(400, 'bad-request', 'paths must be absolute'),
      'GET /v1/missing': () => apiError(404, 'not-found', 'no pair named "x"\nreally'),
      'GET /v1/html': () => ({ status: 502, raw: '<html>bad gateway</html>' }),
      'GET /v1/garbage': () => ({ raw: 'not json' }),
      'DELETE /v1/empty': () => ({ status: 204 }),
    });
  });
  after(() => api.close());

  it('sends JSON and parses the answer', async () => {
    const c = new ApiClient(api.socket);
    const got = await c.request<{ got: unknown; url: string }>('POST', '/v1/echo?x=1', { paths: ['/a b/ü'] });
    assert.deepEqual(got, { got: { paths: ['/a b/ü'] }, url: '/v1/echo?x=1' });
    assert.equal(await c.request('DELETE', '/v1/empty'), undefined);
  });

  it("turns an API error into ApiError with the API's message; bad-request and not-found are usage errors", async () => {
    const c = new ApiClient(api.socket);
    await assert.rejects(c.request('GET', '/v1/bad'), (e) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'usage');
      assert.equal(e.apiCode, 'bad-request');
      assert.equal(e.status, 400);
      assert.equal(e.message, 'paths must be absolute');
      return true;
    });
    await assert.rejects(c.request('GET', '/v1/missing'), (e) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'usage');
      assert.equal(e.apiCode, 'not-found');
      assert.equal(e.message, 'no pair named "x"\\nreally', 'one line');
      return true;
    });
  });

  it('reports answers that are not the API', async () => {
    const c = new ApiClient(api.socket);
    await assert.rejects(
      c.request('GET', '/v1/html'),
      /the daemon answered HTTP 502: <html>bad gateway<\/html>/,
    );
    await assert.rejects(c.request('GET', '/v1/garbage'), /sent an answer that is not JSON/);
  });

  it('times out when asked to', async () => {
    const slow = await startStandIn({ 'GET /v1/slow': () => new Promise(() => undefined) });
    try {
      await assert.rejects(
        new ApiClient(slow.socket).request('GET', '/v1/slow', undefined, { timeoutMs: 50 }),
        /did not answer in time/,
      );
    } finally {
      await slow.close();
    }
  });
});

describe('ApiClient: no daemon, or not ours', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-client-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a missing socket says no daemon runs and how to start one', async () => {
    const sock = path.join(tmp, 'none.sock');
    await assert.rejects(new ApiClient(sock).request('GET', '/v1/status'), (e) => {
      assert.ok(e instanceof NoDaemonError);
      assert.equal(
        e.message,
        `no lazysync daemon is running on ${sock}; start one with \`lazysync start\` (or \`lazysync daemon\` in the foreground)`,
      );
      return true;
    });
  });

  it('a stale socket (its daemon was killed) says the same', async () => {
    const sock = path.join(tmp, 'stale.sock');
    const child = spawn(process.execPath, [
      '-e',
      "require('net').createServer().listen(process.argv[1], () => console.log('up'))",
      sock,
    ]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(fs.existsSync(sock));
    await assert.rejects(new ApiClient(sock).request('GET', '/v1/status'), NoDaemonError);
  });

  it("another user's socket is refused with a clear line", async (t) => {
    const api = await startStandIn({ 'GET /v1/status': () => ({ body: {} }) });
    try {
      if (process.getuid?.() !== 0) {
        fs.chmodSync(api.socket, 0);
        await assert.rejects(
          new ApiClient(api.socket).request('GET', '/v1/status'),
          /belongs to another user/,
        );
        return;
      }
      // As root, connect as nobody: the socket's folder is 0700, as the daemon makes it.
      const url = new URL('./client.js', import.meta.url).href;
      const script = `import(${JSON.stringify(url)}).then(({ ApiClient }) => new ApiClient(${JSON.stringify(api.socket)}).request('GET', '/v1/status')).then(() => console.log('connected'), (e) => console.log(e.constructor.name === 'LazysyncError' ? 'ERR ' + e.message : 'IMPORT ' + e.message))`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        uid: 65534,
        gid: 65534,
        cwd: '/',
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await new Promise((resolve) => child.once('exit', resolve));
      if (!out.startsWith('ERR ')) return t.skip(`nobody cannot load the client here: ${out.trim()}`);
      assert.equal(
        out.trim(),
        `ERR permission denied on ${api.socket}: the daemon's socket belongs to another user (start your own daemon, or pass --socket)`,
      );
    } finally {
      await api.close();
    }
  });

  it('maps other failures to one line', () => {
    const e = connectionError(Object.assign(new Error('boom'), { code: 'EMFILE' }), '/s');
    assert.ok(e instanceof LazysyncError);
    assert.equal(e.message, 'cannot talk to the lazysync daemon on /s: boom');
    assert.match(
      connectionError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), '/s').message,
      /closed the connection/,
    );
  });

  it('answerError reads the error body, or says what came', () => {
    assert.equal(answerError(409, '{"error":{"code":"conflict","message":"exists"}}').apiCode, 'conflict');
    assert.equal(answerError(400, '').code, 'usage');
    assert.equal(answerError(500, '').message, 'the daemon answered HTTP 500');
  });

  it('pairUrl escapes the name', () => {
    assert.equal(pairUrl('my pair/x'), '/v1/pairs/my%20pair%2Fx');
    assert.equal(pairUrl('p', 'pause'), '/v1/pairs/p/pause');
  });
});

describe('ApiClient.events', () => {
  it('delivers events in order once ready, and close() ends it quietly', async () => {
    const api = await startStandIn({});
    try {
      const got: ApiEvent[] = [];
      let ended = false;
      const s = new ApiClient(api.socket).events(
        (e) => got.push(e),
        () => (ended = true),
      );
      await s.ready;
      api.emit({ type: 'state', pair: 'p', state: 'syncing', reason: null });
      api.emit({ type: 'pass', pair: 'p', applied: 3, problems: 0, durationMs: 5 });
      await waitFor(() => got.length === 2, 'got.length === 2');
      assert.deepEqual(
        got.map((e) => e.type),
        ['state', 'pass'],
      );
      assert.equal(typeof got[0]?.time, 'string');
      s.close();
      await waitFor(() => api.streams() === 0, 'api.streams() === 0');
      assert.equal(ended, false);
    } finally {
      await api.close();
    }
  });

  it('calls onEnd when the daemon goes away, and fails ready without a daemon', async () => {
    const api = await startStandIn({});
    const ends: (LazysyncError | undefined)[] = [];
    const s = new ApiClient(api.socket).events(
      () => undefined,
      (err) => ends.push(err),
    );
    await s.ready;
    await api.close();
    await waitFor(() => ends.length === 1, 'ends.length === 1');
    assert.equal(ends[0], undefined);
    const none = new ApiClient(api.socket).events(() => undefined);
    await assert.rejects(none.ready, NoDaemonError);
  });

  it('fails ready with the API error when the endpoint answers with one', async () => {
    const api = await startStandIn({ 'GET /v1/events': () => apiError(404, 'not-found', 'no events here') });
    try {
      const ends: (LazysyncError | undefined)[] = [];
      const s = new ApiClient(api.socket).events(
        () => undefined,
        (err) => ends.push(err),
      );
      await assert.rejects(s.ready, /no events here/);
      assert.equal(ends[0]?.message, 'no events here');
    } finally {
      await api.close();
    }
  });
});
