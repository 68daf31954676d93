import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  BAR_AFTER_MS,
  BAR_MIN_BYTES,
  CompareBar,
  CompareTally,
  compareLabel,
  wantsCompareBar,
} from './compare-progress.js';

const MiB = 1024 * 1024;

describe('wantsCompareBar', () => {
  it('never when stderr is not a terminal', () => {
    assert.equal(
      wantsCompareBar(false, { total: 10 * BAR_MIN_BYTES, compared: 0, elapsedMs: 60_000 }),
      false,
    );
  });

  it('for much to compare at once, for a little once comparing takes long, never once all is compared', () => {
    assert.equal(wantsCompareBar(true, { total: BAR_MIN_BYTES, compared: MiB, elapsedMs: 0 }), true);
    assert.equal(wantsCompareBar(true, { total: BAR_MIN_BYTES - 1, compared: MiB, elapsedMs: 10 }), false);
    assert.equal(wantsCompareBar(true, { total: 2 * MiB, compared: MiB, elapsedMs: BAR_AFTER_MS }), true);
    assert.equal(wantsCompareBar(true, { total: 2 * MiB, compared: 2 * MiB, elapsedMs: 5000 }), false);
    assert.equal(wantsCompareBar(true, { total: 0, compared: 0, elapsedMs: 5000 }), false);
  });
});

describe('CompareTally', () => {
  it('adds up files in flight and finished ones; a file found different early counts whole', () => {
    const t = new CompareTally(300);
    t.add({ path: 'a', bytes: 50, total: 100, done: false });
    t.add({ path: 'b', bytes: 20, total: 200, done: false });
    assert.equal(t.compared, 70);
    assert.equal(t.current, 'b');
    t.add({ path: 'b', bytes: 20, total: 200, done: true });
    assert.equal(t.compared, 250);
    assert.equal(t.current, 'a');
    t.add({ path: 'a', bytes: 100, total: 100, done: true });
    assert.equal(t.compared, 300);
    assert.equal(t.total, 300);
  });

  it('grows the total for a compare the plan did not count', () => {
    const t = new CompareTally(10);
    t.add({ path: 'a', bytes: 10, total: 10, done: true });
    t.add({ path: 'x', bytes: 5, total: 5, done: true });
    assert.equal(t.total, 15);
    assert.equal(t.compared, 15);
  });
});

describe('compareLabel', () => {
  it('shows paths for people, long ones by their end', () => {
    assert.equal(compareLabel('a.txt').trimEnd(), 'a.txt');
    assert.equal(compareLabel(Buffer.from('é.txt', 'utf8').toString('latin1')).trimEnd(), 'é.txt');
    const long = `${'d/'.repeat(40)}end.bin`;
    assert.equal(compareLabel(long).length, 40);
    assert.ok(compareLabel(long).endsWith('end.bin'));
  });
});

/** A stream that says it is (or is not) a terminal, collecting what is written. */
function screen(tty: boolean): {
  stream: PassThrough & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  const stream: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  stream.isTTY = tty;
  stream.columns = 120;
  // The bar moves the cursor, which a PassThrough cannot: these are no-ops, as on a terminal that ignores them.
  Object.assign(stream, {
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    clearScreenDown: () => true,
  });
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  return { stream, text: () => out };
}

describe('CompareBar', () => {
  const feed = (bar: CompareBar, total: number): void => {
    bar.planned(total);
    for (let bytes = MiB; bytes <= total; bytes += MiB)
      bar.progress({ path: 'big.bin', bytes, total, done: false });
    bar.progress({ path: 'big.bin', bytes: total, total, done: true });
  };

  it('shows bytes compared of the total and the path on a terminal, and ends at the total', () => {
    const { stream, text } = screen(true);
    const bar = new CompareBar(stream);
    feed(bar, BAR_MIN_BYTES);
    bar.stop();
    assert.match(text(), /comparing .*100% 64 MiB \/ 64 MiB .*big\.bin/);
  });

  it('writes nothing for a small compare, nor to a stream that is not a terminal', () => {
    for (const [tty, total] of [
      [true, 4 * MiB],
      [false, BAR_MIN_BYTES],
    ] as const) {
      const { stream, text } = screen(tty);
      const bar = new CompareBar(stream);
      feed(bar, total);
      bar.stop();
      assert.equal(text(), '', `tty ${tty}, ${total} bytes`);
    }
  });

  it('shows a smaller compare once it has taken a second', () => {
    let now = 0;
    const { stream, text } = screen(true);
    const bar = new CompareBar(stream, () => now);
    bar.planned(4 * MiB);
    bar.progress({ path: 'slow.bin', bytes: MiB, total: 4 * MiB, done: false });
    assert.equal(text(), '');
    now = BAR_AFTER_MS;
    bar.progress({ path: 'slow.bin', bytes: 2 * MiB, total: 4 * MiB, done: false });
    bar.stop();
    assert.match(text(), /comparing .*slow\.bin/);
  });

  it('passes log lines through, and keeps those written while the bar shows', async () => {
    const { stream, text } = screen(true);
    const bar = new CompareBar(stream);
    const log = (line: string): Promise<void> =>
      new Promise((resolve) => bar.logStream.write(line, () => resolve()));
    await log('before\n');
    bar.planned(BAR_MIN_BYTES);
    bar.progress({ path: 'big.bin', bytes: MiB, total: BAR_MIN_BYTES, done: false });
    await log('during\n');
    bar.stop();
    await log('after\n');
    const out = text();
    assert.ok(out.startsWith('before\n'), out);
    assert.ok(out.includes('during\n'), out);
    assert.ok(out.endsWith('after\n'), out);
  });
});
