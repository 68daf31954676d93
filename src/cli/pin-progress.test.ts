import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ApiEvent } from './client.js';
import { PinProgress, barLabel, isPinTransfer, pinTargets } from './pin-progress.js';
import { samplePair } from '../../test/unit/api.js';

const time = '2026-11-28T10:00:00Z';
function transfer(
  over: Partial<Extract<ApiEvent, { type: 'transfer' }>> = {},
): Extract<ApiEvent, { type: 'transfer' }> {
  return {
    type: 'transfer',
    pair: 'projects',
    path: 'docs/a.pdf',
    direction: 'download',
    bytes: 10,
    total: 100,
    done: false,
    time,
    ...over,
  };
}

describe('pinTargets / isPinTransfer', () => {
  const pairs = [samplePair(), samplePair({ name: 'inner', local: '/home/me/projects/inner' })];

  it('places each path in the innermost pair whose local folder holds it', () => {
    assert.deepEqual(
      pinTargets(pairs, [
        '/home/me/projects/docs',
        '/home/me/projects/inner/x',
        '/home/me/projects',
        '/elsewhere',
      ]),
      [
        { pair: 'projects', prefix: 'docs' },
        { pair: 'inner', prefix: 'x' },
        { pair: 'projects', prefix: '' },
      ],
    );
  });

  it('keeps downloads below the targets only', () => {
    const targets = [{ pair: 'projects', prefix: 'docs' }];
    assert.equal(isPinTransfer(targets, transfer()), true);
    assert.equal(isPinTransfer(targets, transfer({ path: 'docs' })), true);
    assert.equal(isPinTransfer(targets, transfer({ path: 'docsx/a' })), false);
    assert.equal(isPinTransfer(targets, transfer({ pair: 'other' })), false);
    assert.equal(isPinTransfer(targets, transfer({ direction: 'upload' })), false);
    assert.equal(
      isPinTransfer(targets, {
        type: 'pass',
        pair: 'projects',
        applied: 1,
        problems: 0,
        durationMs: 1,
        time,
      }),
      false,
    );
    assert.equal(isPinTransfer([{ pair: 'projects', prefix: '' }], transfer({ path: 'any' })), true);
    assert.equal(
      isPinTransfer([], transfer({ pair: 'x', path: 'y' })),
      true,
      'no known target: every download',
    );
  });

  it('labels bars with a fixed width, keeping the end of long paths', () => {
    assert.equal(barLabel('a.txt').length, 40);
    const long = barLabel(`${'d/'.repeat(40)}file.iso`);
    assert.equal(long.length, 40);
    assert.ok(long.startsWith('…') && long.endsWith('file.iso'));
  });
});

describe('PinProgress', () => {
  it('shows a bar only for a transfer that lasts, and clears it when done', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    let now = 0;
    const p = new PinProgress(stream as unknown as NodeJS.WriteStream, () => now);
    p.transfer(transfer({ path: 'small', bytes: 0 }));
    p.transfer(transfer({ path: 'small', bytes: 100, done: true }));
    p.transfer(transfer({ path: 'big.iso', bytes: 0, total: 4 * 2 ** 20 }));
    now = 400;
    p.transfer(transfer({ path: 'big.iso', bytes: 2 ** 20, total: 4 * 2 ** 20 }));
    p.transfer(transfer({ path: 'big.iso', bytes: 2 * 2 ** 20, total: 4 * 2 ** 20 }));
    await new Promise((r) => setTimeout(r, 250));
    assert.match(out, /big\.iso .* 50% 2\.0 MiB \/ 4\.0 MiB/);
    assert.doesNotMatch(out, /small/);
    p.transfer(transfer({ path: 'big.iso', bytes: 4 * 2 ** 20, total: 4 * 2 ** 20, done: true }));
    p.stop();
  });
});
