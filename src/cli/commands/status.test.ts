import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, NoDaemonError } from '../client.js';
import { runLive } from '../live.js';
import { statusCommand } from './status.js';
import {
  apiError,
  captureIo,
  samplePair,
  startStandIn,
  waitFor,
  type StandIn,
} from '../../../test/unit/api.js';

let api: StandIn;
let fetches = 0;
const daemon = {
  version: '0.1.0',
  pid: 7,
  pairs: [samplePair({ name: 'a' }), samplePair({ name: 'b', state: 'paused' })],
};
before(async () => {
  api = await startStandIn({
    'GET /v1/status': () => {
      fetches++;
      return { body: daemon };
    },
    'GET /v1/pairs/a': () => ({ body: daemon.pairs[0] }),
    'GET /v1/pairs/nope': () => apiError(404, 'not-found', 'no pair named "nope"'),
  });
});
after(() => api.close());

describe('status', () => {
  it('prints the table for people', async () => {
    const io = captureIo();
    assert.equal(await statusCommand(undefined, { socket: api.socket }, io), 0);
    assert.equal(io.stdout[0], 'lazysync 0.1.0, daemon pid 7');
    assert.match(io.stdout[2] ?? '', /^PAIR +STATE/);
    assert.match(io.stdout[3] ?? '', /^a +idle/);
    assert.match(io.stdout[4] ?? '', /^b +paused/);
  });

  it('--json prints the API answer as it is', async () => {
    const io = captureIo();
    await statusCommand(undefined, { socket: api.socket, json: true }, io);
    assert.deepEqual(io.stdout, [JSON.stringify(daemon, null, 2)]);
    const one = captureIo();
    await statusCommand('a', { socket: api.socket, json: true }, one);
    assert.deepEqual(JSON.parse(one.stdout.join('\n')), daemon.pairs[0]);
  });

  it('an unknown pair is the API error', async () => {
    await assert.rejects(statusCommand('nope', { socket: api.socket }, captureIo()), /no pair named "nope"/);
  });
});

describe('status --watch', () => {
  it('redraws in place on a terminal until stopped', async () => {
    const io = captureIo(true);
    const stop = new AbortController();
    const done = statusCommand(undefined, { socket: api.socket, watch: true }, io, stop.signal);
    await waitFor(() => io.raw.length >= 2, 'io.raw.length >= 2', 3000);
    stop.abort();
    assert.equal(await done, 0);
    assert.ok(io.raw[0]?.startsWith('\x1b[2J\x1b[H'), 'the first frame clears the screen');
    assert.ok(io.raw[1]?.startsWith('\x1b[H') && !io.raw[1].includes('\x1b[2J'), 'later frames draw over it');
    assert.ok(io.raw[1]?.includes('lazysync 0.1.0, daemon pid 7\x1b[K\n'), 'each line clears its rest');
    assert.deepEqual(io.stdout, []);
  });

  it('prints a new block each time elsewhere, and one JSON line per refresh with --json', async () => {
    const io = captureIo(false);
    const stop = new AbortController();
    const done = statusCommand('a', { socket: api.socket, watch: true }, io, stop.signal);
    await waitFor(
      () => io.stdout.filter((l) => l.startsWith('PAIR')).length >= 2,
      `io.stdout.filter((l) => l.startsWith('PAIR')).length >= 2`,
      3000,
    );
    stop.abort();
    await done;
    assert.ok(io.stdout.includes(''), 'blocks are separated by a blank line');
    const json = captureIo(true);
    const stop2 = new AbortController();
    const done2 = statusCommand('a', { socket: api.socket, watch: true, json: true }, json, stop2.signal);
    await waitFor(() => json.stdout.length >= 2, 'json.stdout.length >= 2', 3000);
    stop2.abort();
    await done2;
    for (const line of json.stdout) assert.equal(JSON.parse(line).name, 'a');
    assert.deepEqual(json.raw, []);
  });

  it('ends with the error when the daemon goes away', async () => {
    const d = await startStandIn({ 'GET /v1/status': () => ({ body: daemon }) });
    const io = captureIo();
    const done = statusCommand(undefined, { socket: d.socket, watch: true }, io);
    await waitFor(() => io.stdout.length > 0, 'io.stdout.length > 0');
    await d.close();
    await assert.rejects(done, NoDaemonError);
  });
});

describe('runLive', () => {
  it('redraws soon after a relevant event, once for a burst, and not for others', async () => {
    const io = captureIo();
    const stop = new AbortController();
    const client = new ApiClient(api.socket);
    let draws = 0;
    const done = runLive({
      client,
      fetch: () => client.request('GET', '/v1/status'),
      render: () => [`frame ${++draws}`],
      relevant: (e) => e.pair === 'a',
      mode: 'append',
      separator: false,
      io,
      intervalMs: 60_000,
      stop: stop.signal,
    });
    await waitFor(() => draws === 1 && api.streams() > 0, 'draws === 1 && api.streams() > 0');
    api.emit({ type: 'pass', pair: 'b', applied: 1, problems: 0, durationMs: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(draws, 1, 'an event of another pair does not redraw');
    for (let i = 0; i < 20; i++) {
      api.emit({
        type: 'transfer',
        pair: 'a',
        path: 'f',
        direction: 'download',
        bytes: i,
        total: 20,
        done: false,
      });
    }
    await waitFor(() => draws === 2, 'draws === 2');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(draws, 2, 'a burst of events costs one redraw');
    stop.abort();
    assert.equal(await done, 0);
    assert.deepEqual(io.stdout, ['frame 1', 'frame 2']);
    await waitFor(() => api.streams() === 0, 'api.streams() === 0');
  });

  it('stops at once when already stopped, and counts its fetches', async () => {
    const before = fetches;
    const stop = new AbortController();
    stop.abort();
    const io = captureIo();
    const client = new ApiClient(api.socket);
    assert.equal(
      await runLive({
        client,
        fetch: () => client.request('GET', '/v1/status'),
        render: () => ['x'],
        relevant: () => true,
        mode: 'append',
        separator: false,
        io,
        stop: stop.signal,
      }),
      0,
    );
    assert.equal(fetches, before);
    assert.deepEqual(io.stdout, []);
  });
});
