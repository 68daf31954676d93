import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopCommand } from './stop.js';
import { captureIo, startStandIn, type StandIn } from '../../../test/unit/api.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-cmds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('stop', () => {
  it('asks the daemon to stop and waits until its socket is gone', async () => {
    const d: StandIn = await startStandIn({
      'POST /v1/shutdown': () => {
        setTimeout(() => void d.close(), 150);
        return { body: { stopping: true } };
      },
      'GET /v1/status': () => ({ body: { version: '0.1.0', pid: 1, pairs: [] } }),
    });
    const io = captureIo();
    assert.equal(await stopCommand({ socket: d.socket }, io, { timeoutMs: 5000, pollMs: 20 }), 0);
    assert.deepEqual(io.stdout, ['stopped']);
    assert.ok(
      d.requests.some((r) => r.url === '/v1/status'),
      'it polled while the daemon was stopping',
    );
  });

  it('gives up with exit 1 when the daemon keeps answering', async () => {
    const d = await startStandIn({
      'POST /v1/shutdown': () => ({ body: { stopping: true } }),
      'GET /v1/status': () => ({ body: { version: '0.1.0', pid: 1, pairs: [] } }),
    });
    try {
      await assert.rejects(
        stopCommand({ socket: d.socket }, captureIo(), { timeoutMs: 100, pollMs: 20 }),
        /still answers/,
      );
    } finally {
      await d.close();
    }
  });

  it('with no daemon, says so', async () => {
    await assert.rejects(
      stopCommand({ socket: path.join(tmp, 'none.sock') }, captureIo()),
      /no lazysync daemon is running/,
    );
  });
});

describe('stop, daemon exiting before it answers', () => {
  it('counts a connection closed by the shutdown as stopping', async () => {
    const d: StandIn = await startStandIn({
      'POST /v1/shutdown': () => {
        void d.close();
        return new Promise<never>(() => undefined);
      },
    });
    const io = captureIo();
    assert.equal(await stopCommand({ socket: d.socket }, io, { timeoutMs: 5000, pollMs: 20 }), 0);
    assert.deepEqual(io.stdout, ['stopped']);
  });
});
