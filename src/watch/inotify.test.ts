import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import {
  IN_CLOSE_NOWRITE,
  IN_CREATE,
  IN_IGNORED,
  IN_ISDIR,
  IN_MOVED_FROM,
  IN_ONLYDIR,
  IN_OPEN,
  IN_Q_OVERFLOW,
  Inotify,
  parseEvents,
  type InotifyEvent,
} from './inotify.js';
import { NO_ADDON, b, makeTmp, rmTmp, sleep, touchOpen, waitFor } from '../../test/unit/watch.js';

/** struct inotify_event bytes; `len` is the name field's size (NUL padding included). */
function rawEvent(
  wd: number,
  mask: number,
  cookie: number,
  name?: Buffer,
  len = name ? name.length + 1 : 0,
): Buffer {
  const buf = Buffer.alloc(16 + len);
  buf.writeInt32LE(wd, 0);
  buf.writeUInt32LE(mask >>> 0, 4);
  buf.writeUInt32LE(cookie, 8);
  buf.writeUInt32LE(len, 12);
  name?.copy(buf, 16);
  return buf;
}

function collect(buf: Buffer, length?: number): InotifyEvent[] {
  const out: InotifyEvent[] = [];
  parseEvents(buf, (ev) => out.push(ev), length);
  return out;
}

describe('parseEvents', () => {
  it('splits a chunk into events, strips the NUL padding and keeps name bytes', () => {
    const chunk = Buffer.concat([
      rawEvent(1, IN_OPEN, 0, Buffer.from('a'), 16),
      rawEvent(2, IN_MOVED_FROM, 77, Buffer.from([0x66, 0xff, 0x0a, 0x6f]), 16),
      rawEvent(-1, IN_Q_OVERFLOW, 0),
      rawEvent(3, IN_CREATE | IN_ISDIR, 0, Buffer.from('exactly-16-bytes'), 16), // no NUL inside the field
      rawEvent(4, IN_IGNORED, 0),
    ]);
    const evs = collect(chunk);
    assert.equal(evs.length, 5);
    assert.deepEqual(evs[0], { wd: 1, mask: IN_OPEN, cookie: 0, name: Buffer.from('a') });
    assert.deepEqual(evs[1], {
      wd: 2,
      mask: IN_MOVED_FROM,
      cookie: 77,
      name: Buffer.from([0x66, 0xff, 0x0a, 0x6f]),
    });
    assert.deepEqual(evs[2], { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: null });
    assert.equal(evs[3]?.mask, (IN_CREATE | IN_ISDIR) >>> 0);
    assert.equal(evs[3]?.name?.toString(), 'exactly-16-bytes');
    assert.deepEqual(evs[4], { wd: 4, mask: IN_IGNORED, cookie: 0, name: null });
  });

  it('stops at `length` and ignores a truncated tail', () => {
    const one = rawEvent(1, IN_OPEN, 0, Buffer.from('x'), 16);
    const chunk = Buffer.concat([one, rawEvent(2, IN_OPEN, 0, Buffer.from('y'), 16)]);
    assert.equal(collect(chunk, one.length).length, 1);
    assert.equal(collect(chunk, chunk.length - 1).length, 1);
    assert.equal(collect(chunk.subarray(0, 10)).length, 0);
  });
});

describe('the addon', () => {
  it('is built and loads (npm run install, i.e. node-gyp rebuild)', () => {
    assert.equal(Inotify.available(), true, String(Inotify.loadError()));
  });
});

describe('Inotify on a temp dir', { skip: NO_ADDON }, () => {
  let dir: string;
  before(() => {
    dir = makeTmp('inotify');
    fs.writeFileSync(b(`${dir}/plain`), 'x');
    fs.writeFileSync(b(`${dir}/n\xff\x01 me`), 'x');
  });
  after(() => rmTmp(dir));

  it('reports an open with the exact name bytes', async () => {
    const evs: InotifyEvent[] = [];
    const ino = new Inotify({ onEvent: (ev) => evs.push(ev) });
    try {
      const wd = ino.add(dir, IN_OPEN | IN_CLOSE_NOWRITE);
      touchOpen(`${dir}/n\xff\x01 me`);
      await waitFor(() => evs.length >= 2, 'IN_OPEN + IN_CLOSE_NOWRITE');
      assert.equal(evs[0]?.wd, wd);
      assert.equal(evs[0]?.mask, IN_OPEN);
      assert.equal(evs[0]?.name?.toString('latin1'), 'n\xff\x01 me');
      assert.equal(evs[1]?.mask, IN_CLOSE_NOWRITE);
    } finally {
      ino.close();
    }
  });

  it('throws Node-style errors from inotify_add_watch', () => {
    const ino = new Inotify({ onEvent: () => {} });
    try {
      assert.throws(
        () => ino.add(`${dir}/missing\xff`, IN_OPEN),
        (e: NodeJS.ErrnoException) => {
          assert.equal(e.code, 'ENOENT');
          assert.equal(e.errno, -2);
          assert.equal(e.syscall, 'inotify_add_watch');
          assert.deepEqual((e as { path?: unknown }).path, b(`${dir}/missing\xff`));
          assert.match(e.message, /^ENOENT: no such file or directory, inotify_add_watch '.*missing\\xff'$/);
          return true;
        },
      );
      assert.throws(() => ino.add(`${dir}/plain`, IN_OPEN | IN_ONLYDIR), { code: 'ENOTDIR' });
      assert.throws(() => ino.add('a\0b', IN_OPEN), TypeError);
    } finally {
      ino.close();
    }
  });

  it('remove() drops a watch (IN_IGNORED follows) and is false for an unknown wd', async () => {
    const evs: InotifyEvent[] = [];
    const ino = new Inotify({ onEvent: (ev) => evs.push(ev) });
    try {
      const wd = ino.add(dir, IN_OPEN);
      assert.equal(ino.remove(wd), true);
      assert.equal(ino.remove(wd), false);
      await waitFor(() => evs.some((e) => e.wd === wd && e.mask === IN_IGNORED), 'IN_IGNORED');
    } finally {
      ino.close();
    }
  });

  it('delivers nothing after close(), even for events already queued; add() then throws EBADF', async () => {
    const evs: InotifyEvent[] = [];
    const ino = new Inotify({ onEvent: (ev) => evs.push(ev) });
    ino.add(dir, IN_OPEN);
    touchOpen(`${dir}/plain`); // queued, not yet read
    ino.close();
    ino.close(); // idempotent
    touchOpen(`${dir}/plain`);
    await sleep(100);
    assert.equal(evs.length, 0);
    assert.equal(ino.closed, true);
    assert.throws(() => ino.add(dir, IN_OPEN), { code: 'EBADF' });
  });

  it('close() from inside a handler stops delivery at once, the rest of the chunk included', async () => {
    const evs: InotifyEvent[] = [];
    const ino = new Inotify({
      onEvent: (ev) => {
        evs.push(ev);
        ino.close();
      },
    });
    ino.add(dir, IN_OPEN);
    for (let i = 0; i < 5; i++) touchOpen(`${dir}/plain`); // one read() returns them together
    await waitFor(() => evs.length > 0, 'the first event');
    await sleep(100);
    touchOpen(`${dir}/plain`);
    await sleep(50);
    assert.equal(evs.length, 1);
  });
});

/** Run an ESM snippet in a child node that imports this module's compiled inotify.js as `I`. */
function runChild(code: string, dir: string): ReturnType<typeof spawnSync> {
  const url = new URL('./inotify.js', import.meta.url).href;
  const src = `import * as I from ${JSON.stringify(url)}; import fs from 'node:fs'; const dir = process.argv[1];\n${code}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', src, dir], {
    encoding: 'utf8',
    timeout: 10000,
  });
}

describe('Inotify in a child process', { skip: NO_ADDON }, () => {
  let dir: string;
  before(() => {
    dir = makeTmp('inotify-child');
    for (const n of ['a', 'b', 'c']) fs.writeFileSync(`${dir}/${n}`, n);
  });
  after(() => rmTmp(dir));

  const THROWING = `
    const seen = [];
    const ino = new I.Inotify({ onEvent(ev) { seen.push(ev.name.toString()); if (ev.name.toString() === 'a') throw new Error('boom'); } });
    ino.add(dir, I.IN_OPEN);
    fs.closeSync(fs.openSync(dir + '/a', 'r')); fs.closeSync(fs.openSync(dir + '/b', 'r'));
    setTimeout(() => fs.closeSync(fs.openSync(dir + '/c', 'r')), 100);
    setTimeout(() => { console.log('seen:' + seen.join(',')); ino.close(); }, 300);`;

  it('a throwing handler reaches uncaughtException; the chunk and the loop go on', () => {
    const r = runChild(
      `process.on('uncaughtException', (e) => console.log('uncaught:' + e.message));${THROWING}`,
      dir,
    );
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(r.stdout, 'uncaught:boom\nseen:a,b,c\n');
  });

  it('without an uncaughtException handler, a throwing handler ends the process with the error (never silently)', () => {
    const r = runChild(THROWING, dir);
    assert.equal(r.status, 1);
    assert.match(String(r.stderr), /Error: boom/);
    assert.equal(r.stdout, '');
  });

  it('unref() lets the process exit with the instance open; otherwise it keeps it alive', () => {
    const unref = runChild(
      `const ino = new I.Inotify({ onEvent() {} }); ino.add(dir, I.IN_OPEN); ino.unref();`,
      dir,
    );
    assert.equal(unref.status, 0);
    assert.equal(unref.error, undefined);
    const t0 = Date.now();
    const held = runChild(
      `const ino = new I.Inotify({ onEvent() {} }); ino.add(dir, I.IN_OPEN); setTimeout(() => ino.close(), 300).unref();`,
      dir,
    );
    assert.equal(held.status, 0);
    assert.ok(Date.now() - t0 >= 300, 'the open instance kept the process alive until close()');
  });
});
