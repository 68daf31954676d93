import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfigFile } from '../config-file.js';
import type { Daemon } from './daemon.js';
import { assertError, controlApiSetup } from '../../test/unit/control-api.js';

const { t, configPath, runners, req, start, stop } = controlApiSetup();
let daemon: Daemon;

before(async () => {
  daemon = await start();
});

after(() => stop(daemon));

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
        {
          side: 'local',
          stamp: '20260101-120000',
          version: '20260101-120000',
          size: 3,
          kind: 'file',
          file: '/v/a~20260101-120000',
        },
      ],
    });
    assertError(await req('GET', '/v1/versions'), 400, 'bad-request', 'query.path: is required');
  });

  it('POST /v1/restore, with and without `at`; a runner usage error is a 400', async () => {
    const p = join(t.local('a'), 'f.txt');
    assert.deepEqual((await req('POST', '/v1/restore', { path: p })).json, {
      pair: 'a',
      path: 'f.txt',
      restored: { side: 'remote', stamp: '20260101-120000', version: '20260101-120000' },
    });
    assert.deepEqual(runners.get('a').calls.at(-1), ['restore', 'f.txt', undefined]);
    const at = await req('POST', '/v1/restore', { path: p, at: '20250101-000000-2' });
    assert.deepEqual((at.json as { restored: unknown }).restored, {
      side: 'remote',
      stamp: '20250101-000000',
      version: '20250101-000000-2',
    });
    assertError(
      await req('POST', '/v1/restore', { path: p, at: 'yesterday' }),
      400,
      'bad-request',
      'body.at: expected a version like 20261128-101500 or 20261128-101500-1',
    );
    assertError(
      await req('POST', '/v1/restore', { path: p, at: '19990101-000000' }),
      400,
      'bad-request',
      'f.txt has no version made at or after 19990101-000000',
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
