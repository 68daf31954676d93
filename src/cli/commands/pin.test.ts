import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { pinCommand } from './pin.js';
import { captureIo, samplePair, startStandIn, type StandIn } from '../../../test/unit/api.js';

describe('pin on a terminal', () => {
  it('shows download progress from the event stream while the request runs', async () => {
    const d: StandIn = await startStandIn({
      'GET /v1/status': () => ({
        body: { version: '0.1.0', pid: 1, pairs: [samplePair({ name: 'a', local: '/home/a' })] },
      }),
      'POST /v1/pin': async () => {
        const total = 8 * 2 ** 20;
        const step = (bytes: number, done = false): void =>
          d.emit({
            type: 'transfer',
            pair: 'a',
            path: 'big/disk.img',
            direction: 'download',
            bytes,
            total,
            done,
          });
        step(0);
        for (let i = 1; i <= 4; i++) {
          await new Promise((r) => setTimeout(r, 150));
          step(i * 2 ** 20);
        }
        await new Promise((r) => setTimeout(r, 300));
        step(total, true);
        return { body: { pinned: [{ pair: 'a', path: 'big', files: 1 }] } };
      },
    });
    try {
      const bars = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
      let drawn = '';
      bars.on('data', (c: Buffer) => (drawn += c.toString()));
      const io = { ...captureIo(), progress: bars as unknown as NodeJS.WriteStream };
      assert.equal(await pinCommand(['/home/a/big'], { socket: d.socket }, io), 0);
      assert.match(drawn, /big\/disk\.img .*% 4\.0 MiB \/ 8\.0 MiB/);
      assert.deepEqual(io.stdout, ['pinned big in a (1 file local)']);
    } finally {
      await d.close();
    }
  });
});
