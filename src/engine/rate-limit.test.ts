import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, type Clock } from './rate-limit.js';

/** A clock that only moves when someone sleeps: the time taken is exactly what the bucket asked for. */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('TokenBucket', () => {
  it('unlimited never waits', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(undefined, clock);
    for (let i = 0; i < 100; i++) await b.take(1 << 20);
    assert.equal(clock.t, 0);
  });

  it('sends at the rate: 10 MiB at 1 MiB/s takes about 10 s (less the first burst)', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1 << 20, clock);
    for (let i = 0; i < 160; i++) await b.take(64 << 10);
    const seconds = clock.t / 1000;
    assert.ok(seconds > 9.6 && seconds < 10.1, `took ${seconds} s`);
  });

  it('shares the rate between concurrent transfers', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1 << 20, clock);
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await b.take(64 << 10);
    };
    await Promise.all([send(80), send(80)]);
    const seconds = clock.t / 1000;
    assert.ok(seconds > 9.6 && seconds < 10.1, `took ${seconds} s`);
  });

  it('chunks larger than the burst still pass, at the rate', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(100_000, clock);
    for (let i = 0; i < 10; i++) await b.take(1 << 20);
    const seconds = clock.t / 1000;
    const expected = (10 * (1 << 20)) / 100_000;
    assert.ok(
      seconds > expected * 0.9 && seconds < expected * 1.05,
      `took ${seconds} s, expected ~${expected}`,
    );
  });

  it('a new rate applies to what follows; 0 lifts the limit', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1 << 20, clock);
    b.setRate(0);
    assert.equal(b.limit, undefined);
    for (let i = 0; i < 100; i++) await b.take(1 << 20);
    assert.equal(clock.t, 0);
    b.setRate(2 << 20);
    for (let i = 0; i < 64; i++) await b.take(64 << 10);
    assert.ok(clock.t / 1000 > 1.7 && clock.t / 1000 < 2.05, `took ${clock.t} ms`);
  });
});
