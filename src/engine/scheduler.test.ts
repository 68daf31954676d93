import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathScheduler } from './scheduler.js';

/** An operation the test finishes by hand, recording when it started. */
function gate(log: string[], name: string): { fn: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return {
    fn: () => {
      log.push(name);
      return done;
    },
    open: () => open(),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('unrelated paths run together up to the limit; the rest wait', async () => {
  const s = new PathScheduler(2);
  const log: string[] = [];
  const [a, b, c] = ['a', 'b', 'c'].map((n) => gate(log, n)) as [
    ReturnType<typeof gate>,
    ReturnType<typeof gate>,
    ReturnType<typeof gate>,
  ];
  const runs = [s.run('a', a.fn), s.run('b', b.fn), s.run('c', c.fn)];
  await tick();
  assert.deepEqual(log, ['a', 'b']);
  assert.equal(s.size, 3);
  b.open();
  await tick();
  assert.deepEqual(log, ['a', 'b', 'c']);
  a.open();
  c.open();
  await Promise.all(runs);
  assert.equal(s.size, 0);
});

test('a path never overlaps its ancestors or descendants, and related paths keep their queue order', async () => {
  const s = new PathScheduler(8);
  const log: string[] = [];
  const mkdir = gate(log, 'mkdir d');
  const file = gate(log, 'd/f');
  const other = gate(log, 'x');
  const rmdir = gate(log, 'rm d');
  const runs = [s.run('d', mkdir.fn), s.run('d/f', file.fn), s.run('x', other.fn), s.run('d', rmdir.fn)];
  await tick();
  assert.deepEqual(log, ['mkdir d', 'x'], 'd/f waits for its folder; x is unrelated');
  mkdir.open();
  await tick();
  assert.deepEqual(log, ['mkdir d', 'x', 'd/f'], 'the second op on d waits behind d/f, queued before it');
  file.open();
  await tick();
  assert.deepEqual(log, ['mkdir d', 'x', 'd/f', 'rm d']);
  other.open();
  rmdir.open();
  await Promise.all(runs);
});

test('the root is related to everything', async () => {
  const s = new PathScheduler(8);
  const log: string[] = [];
  const root = gate(log, 'root');
  const deep = gate(log, 'a/b');
  const runs = [s.run('', root.fn), s.run('a/b', deep.fn)];
  await tick();
  assert.deepEqual(log, ['root']);
  root.open();
  deep.open();
  await Promise.all(runs);
  assert.deepEqual(log, ['root', 'a/b']);
});

test('urgent operations start before normal ones queued earlier', async () => {
  const s = new PathScheduler(1);
  const log: string[] = [];
  const first = gate(log, 'first');
  const normal = gate(log, 'normal');
  const urgent = gate(log, 'urgent');
  const runs = [s.run('a', first.fn), s.run('b', normal.fn), s.run('c', urgent.fn, { urgent: true })];
  await tick();
  first.open();
  await tick();
  assert.deepEqual(log, ['first', 'urgent']);
  urgent.open();
  normal.open();
  await Promise.all(runs);
  assert.deepEqual(log, ['first', 'urgent', 'normal']);
});

test('a failing operation rejects its own promise and frees its slot', async () => {
  const s = new PathScheduler(1);
  const failed = s.run('a', () => Promise.reject(new Error('boom')));
  const next = s.run('a', () => Promise.resolve(42));
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 42);
});

test('whenBelow resolves once the queue has room; idle once it is empty', async () => {
  const s = new PathScheduler(1);
  const log: string[] = [];
  const a = gate(log, 'a');
  const b = gate(log, 'b');
  const runs = [s.run('a', a.fn), s.run('b', b.fn)];
  let roomy = false;
  void s.whenBelow(2).then(() => (roomy = true));
  let idle = false;
  void s.idle().then(() => (idle = true));
  await tick();
  assert.equal(roomy, false);
  a.open();
  await tick();
  assert.equal(roomy, true);
  assert.equal(idle, false);
  b.open();
  await Promise.all(runs);
  await tick();
  assert.equal(idle, true);
});
