// File placeholders' kernel side on real filesystems: a placeholder made by hand (a sparse file with the
// marker xattr, marked through the client), the supervisor started by the client, this process as the
// daemon. Programs that open a placeholder block until the daemon answers; with no daemon they get EIO.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HsmClient, stopSupervisor, type AccessEvent } from '../../src/hsm/client.js';
import { PLACEHOLDER_XATTR } from '../../src/fsops/placeholder-xattr.js';
import { nativeAddon } from '../../src/native-addon.js';
import { loopFsSkipReason, makeLoopFs, makeTmpFs, type LoopFs, type LoopFsKind } from '../fixture/loopfs.js';
import { NOBODY, binForOtherUsers } from '../fixture/other-user.js';
import { waitFor } from '../fixture/poll.js';

const CLIENT_JS = fileURLToPath(new URL('../../src/hsm/client.js', import.meta.url));
const children = new Set<ChildProcess>();

type Done = { code: number | null; stdout: Buffer; stderr: string };
type Run = { child: ChildProcess; done: Promise<Done> };

/** Starts a program (killed by PID at the end if still running). */
function run(cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): Run {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Done>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    }),
  );
  return { child, done };
}

/** Node running `script` (an ES module) with `args` as process.argv[1..]. */
function runNode(script: string, args: string[], opts: { uid?: number; gid?: number } = {}): Run {
  return run(process.execPath, ['--input-type=module', '-e', script, ...args], opts);
}

function killChildren(): void {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
}

/** The content a placeholder of `size` stands for: no two 4 KiB pages alike, never all zeros. */
function contentOf(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 12)) % 251 || 1;
  return b;
}

/** One filesystem with a supervisor and this process connected as its daemon. */
class Bench {
  client!: HsmClient;
  events: AccessEvent[] = [];
  readonly runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-hsm-run-'));
  readonly sources = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-hsm-src-'));
  #n = 0;

  constructor(readonly lfs: LoopFs) {}

  async connect(): Promise<void> {
    this.client = await HsmClient.connect(this.lfs.path, { runtimeDir: this.runtime });
    this.events = [];
    this.client.onAccess((e) => this.events.push(e));
  }

  /** A placeholder of `content` (kept in a source file for fills): size and mtime right, no blocks. */
  async placeholder(content: Buffer, mtimeMs = Date.UTC(2020, 0, 2)): Promise<{ path: string; src: Buffer }> {
    const name = `p${++this.#n}`;
    const p = path.join(this.lfs.path, name);
    const src = path.join(this.sources, name);
    fs.writeFileSync(src, content);
    const fd = fs.openSync(p, 'wx');
    fs.ftruncateSync(fd, content.length);
    fs.futimesSync(fd, new Date(), new Date(mtimeMs));
    fs.closeSync(fd);
    nativeAddon()!.setXattr(Buffer.from(p), PLACEHOLDER_XATTR, Buffer.from(name));
    await this.client.mark(Buffer.from(p));
    return { path: p, src: Buffer.from(src) };
  }

  async nextEvent(pred: (e: AccessEvent) => boolean, what: string): Promise<AccessEvent> {
    let found: AccessEvent | undefined;
    await waitFor(() => (found = this.events.find(pred)) !== undefined, what, 10_000, 5);
    this.events.splice(this.events.indexOf(found!), 1);
    return found!;
  }

  async close(): Promise<void> {
    this.client?.close();
    await stopSupervisor(this.lfs.path, { runtimeDir: this.runtime });
    killChildren();
    await this.lfs.close();
    fs.rmSync(this.runtime, { recursive: true, force: true });
    fs.rmSync(this.sources, { recursive: true, force: true });
  }
}

const isPid = (pid: number | undefined) => (e: AccessEvent) => pid !== undefined && e.pid === pid;

/** cat of a placeholder blocks until the daemon fills it, then reads the content; the file is ordinary after. */
async function catFill(b: Bench, size = 100_000): Promise<void> {
  const content = contentOf(size, size);
  const mtime = Date.UTC(2021, 5, 6, 7, 8, 9);
  const ph = await b.placeholder(content, mtime);
  const cat = run('cat', [ph.path]);
  const ev = await b.nextEvent(isPid(cat.child.pid), 'the access event of cat');
  assert.deepEqual([ev.comm, ev.exe, ev.ino], ['cat', '/usr/bin/cat', fs.statSync(ph.path).ino]);
  assert.deepEqual([ev.truncating, ev.writing], [false, false]);
  assert.equal(ev.path.toString(), ph.path);
  assert.equal(cat.child.exitCode, null, 'cat waits for the fill');
  await b.client.fill([ev.id], ph.src, mtime);
  const r = await cat.done;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.equals(content), 'cat reads the filled content');
  assert.equal(fs.statSync(ph.path).mtimeMs, mtime);
  assert.equal(nativeAddon()!.getXattr(Buffer.from(ph.path), PLACEHOLDER_XATTR), null);
  assert.ok(fs.readFileSync(ph.path).equals(content), 'the daemon itself may read it now: no longer marked');
}

/** With no daemon connected, a reader fails with EIO and reads nothing. */
async function noDaemonEio(b: Bench): Promise<void> {
  const ph = await b.placeholder(contentOf(5000));
  b.client.close();
  const r = await run('cat', [ph.path]).done;
  assert.deepEqual([r.code, r.stdout.length], [1, 0]);
  assert.match(r.stderr, /Input\/output error/);
  await b.connect();
}

function skipUnless(kind: LoopFsKind | 'tmpfs'): { skip?: string } {
  const why = loopFsSkipReason(kind);
  if (why !== undefined) console.log(`hsm-supervisor on ${kind}: skipped, ${why}`);
  return why === undefined ? {} : { skip: why };
}

after(killChildren);

describe('hsm supervisor on ext4 (pre-content)', skipUnless('ext4'), () => {
  let b: Bench;
  before(async () => {
    b = new Bench(makeLoopFs('ext4'));
    await b.connect();
  });
  after(() => b?.close());

  it('runs in pre-content mode, started by the client, as its own process', () => {
    assert.equal(b.client.mode, 'pre-content');
    assert.notEqual(b.client.supervisorPid, process.pid);
    assert.ok(fs.existsSync(`/proc/${b.client.supervisorPid}`));
  });

  it('stat, ls -l and du raise no event and show the size and mtime', async () => {
    const content = contentOf(12_345);
    const ph = await b.placeholder(content, Date.UTC(2019, 1, 3));
    const st = fs.statSync(ph.path);
    assert.deepEqual([st.size, st.mtimeMs, st.blocks], [12_345, Date.UTC(2019, 1, 3), 0]);
    const ls = await run('ls', ['-l', ph.path]).done;
    assert.match(ls.stdout.toString(), / 12345 /);
    assert.match((await run('du', ['-k', ph.path]).done).stdout.toString(), /^0\s/);
    // The first event to arrive is the one of the next reader: stat, ls and du raised none.
    const cat = run('cat', [ph.path]);
    const ev = await b.nextEvent(() => true, 'an access event');
    assert.equal(ev.pid, cat.child.pid);
    await b.client.fill([ev.id], ph.src, st.mtimeMs);
    assert.ok((await cat.done).stdout.equals(content));
  });

  it('cat blocks until the daemon fills, then reads the right bytes', () => catFill(b));

  it('two concurrent readers both wait for the same fill', async () => {
    const content = contentOf(300_000, 3);
    const ph = await b.placeholder(content);
    const r1 = run('cat', [ph.path]);
    const r2 = run('cat', [ph.path]);
    const e1 = await b.nextEvent(isPid(r1.child.pid), 'the first reader');
    const e2 = await b.nextEvent(isPid(r2.child.pid), 'the second reader');
    await b.client.fill([e1.id, e2.id], ph.src, Date.UTC(2020, 0, 2));
    for (const r of [await r1.done, await r2.done]) assert.ok(r.stdout.equals(content));
  });

  it('open(O_TRUNC) arrives as truncating; release leaves an ordinary empty file, nothing fetched', async () => {
    const ph = await b.placeholder(contentOf(40_000));
    const sh = run('sh', ['-c', 'printf new > "$1"', 'sh', ph.path]);
    const ev = await b.nextEvent(isPid(sh.child.pid), 'the truncating open');
    assert.deepEqual([ev.truncating, ev.writing, ev.comm], [true, true, 'sh']);
    await b.client.release([ev.id]);
    assert.equal((await sh.done).code, 0);
    assert.equal(fs.readFileSync(ph.path, 'latin1'), 'new');
    assert.equal(nativeAddon()!.getXattr(Buffer.from(ph.path), PLACEHOLDER_XATTR), null);
  });

  it('GNU cp (hole-aware) of a placeholder copies the real content', async () => {
    const content = contentOf(1 << 20, 9);
    const ph = await b.placeholder(content);
    const dest = path.join(b.sources, 'copied');
    const cp = run('cp', [ph.path, dest]);
    const ev = await b.nextEvent(isPid(cp.child.pid), 'the open of cp');
    await b.client.fill([ev.id], ph.src, Date.UTC(2020, 0, 2));
    assert.equal((await cp.done).code, 0);
    assert.ok(fs.readFileSync(dest).equals(content));
  });

  it('the daemon reading a placeholder itself gets EIO at once, never forwarded', async () => {
    const ph = await b.placeholder(contentOf(3000));
    await assert.rejects(fs.promises.readFile(ph.path), { code: 'EIO' });
    // Forwarded events would come first: the next one is the reader's.
    const cat = run('cat', [ph.path]);
    const ev = await b.nextEvent(() => true, 'an access event');
    assert.equal(ev.pid, cat.child.pid);
    await b.client.deny([ev.id], 'EPERM');
    assert.match((await cat.done).stderr, /Operation not permitted/);
  });

  it('with no daemon connected a read fails with EIO', () => noDaemonEio(b));

  it('a fill that fails denies the reader and leaves the placeholder as it was', async () => {
    const content = contentOf(20_000);
    const ph = await b.placeholder(content, Date.UTC(2018, 3, 4));
    const cat = run('cat', [ph.path]);
    const ev = await b.nextEvent(isPid(cat.child.pid), 'the read');
    await assert.rejects(b.client.fill([ev.id], Buffer.from(`${ph.src.toString()}.missing`), 0), /ENOENT/);
    assert.match((await cat.done).stderr, /Input\/output error/);
    const st = fs.statSync(ph.path);
    assert.deepEqual([st.size, st.blocks, st.mtimeMs], [20_000, 0, Date.UTC(2018, 3, 4)]);
    assert.notEqual(nativeAddon()!.getXattr(Buffer.from(ph.path), PLACEHOLDER_XATTR), null);
    const again = run('cat', [ph.path]);
    const ev2 = await b.nextEvent(isPid(again.child.pid), 'the next read, still a placeholder');
    await b.client.fill([ev2.id], ph.src, st.mtimeMs);
    assert.ok((await again.done).stdout.equals(content));
  });

  it('an open allowed without a fill: the read then arrives with its range (pre-content)', async () => {
    const content = contentOf(64 * 1024, 5);
    const ph = await b.placeholder(content);
    const dd = run('dd', [`if=${ph.path}`, 'bs=16', 'skip=2500', 'count=1', 'status=none']);
    const open = await b.nextEvent(isPid(dd.child.pid), 'the open');
    assert.equal(open.range, undefined);
    await b.client.allow([open.id]);
    const read = await b.nextEvent(isPid(dd.child.pid), 'the read');
    assert.ok(read.range !== undefined, 'a read event carries its range');
    assert.ok(read.range.offset <= 40_000 && read.range.offset % 4096 === 0, JSON.stringify(read.range));
    await b.client.fill([read.id], ph.src, Date.UTC(2020, 0, 2));
    const r = await dd.done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(content.subarray(40_000, 40_016)));
  });

  it('truncate(2) by path waits for the fill and keeps the start of the content (pre-content)', async () => {
    const content = contentOf(50_000, 6);
    const ph = await b.placeholder(content);
    const tr = run('truncate', ['-s', '100', ph.path]);
    const ev = await b.nextEvent(isPid(tr.child.pid), 'the truncate');
    assert.deepEqual([ev.writing, ev.truncating], [true, false]);
    await b.client.fill([ev.id], ph.src, Date.UTC(2020, 0, 2));
    assert.equal((await tr.done).code, 0);
    assert.ok(fs.readFileSync(ph.path).equals(content.subarray(0, 100)));
  });

  it('without root, check says what is missing', async () => {
    const client = path.join(path.dirname(path.dirname(binForOtherUsers())), 'dist/src/hsm/client.js');
    const script = `const { HsmClient } = await import(${JSON.stringify(client)});
      HsmClient.check('/tmp').then((m) => console.log(m), (e) => console.log(e.code + ': ' + e.message));`;
    const out = (await runNode(script, [], { uid: NOBODY, gid: NOBODY }).done).stdout.toString();
    assert.equal(out.trim(), 'unsupported: needs root (CAP_SYS_ADMIN) for fanotify');
  });

  it('a second daemon is refused while one is connected', async () => {
    await assert.rejects(HsmClient.connect(b.lfs.path, { runtimeDir: b.runtime }), { code: 'locked' });
  });

  it('a daemon killed with a reader blocked: the reader fails with EIO, never reads zeros', async () => {
    const ph = await b.placeholder(contentOf(8192));
    b.client.close();
    const script = `const { HsmClient } = await import(${JSON.stringify(CLIENT_JS)});
      const c = await HsmClient.connect(process.argv[1], { runtimeDir: process.argv[2] });
      c.onAccess((e) => console.log('access ' + e.pid));
      console.log('connected');`;
    const daemon = runNode(script, [b.lfs.path, b.runtime]);
    let out = '';
    daemon.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('connected'), 'the child daemon to connect', 10_000, 5);
    const cat = run('cat', [ph.path]);
    await waitFor(
      () => out.includes(`access ${cat.child.pid}`),
      'the child daemon to see the read',
      10_000,
      5,
    );
    process.kill(daemon.child.pid!, 'SIGKILL');
    const r = await cat.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Input\/output error/);
    assert.equal(r.stdout.length, 0);
    await daemon.done;
    await b.connect();
  });

  it('a supervisor killed under the daemon: onLost, and connect starts a new one (marks then made again)', async () => {
    const lost: string[] = [];
    b.client.onLost((why) => lost.push(why));
    const old = b.client.supervisorPid;
    process.kill(old, 'SIGKILL');
    await waitFor(() => lost.length === 1, 'onLost', 10_000, 5);
    await assert.rejects(b.client.mark(Buffer.from(path.join(b.lfs.path, 'p1'))), /went away/);
    await waitFor(
      () => !fs.existsSync(`/proc/${old}/cmdline`) || fs.readFileSync(`/proc/${old}/cmdline`).length === 0,
      'the old supervisor to die',
    );
    await b.connect();
    assert.notEqual(b.client.supervisorPid, old);
    await catFill(b, 5000);
  });

  it('measures: first read of a 1 KiB placeholder with an instant fill, and pread of a filled file', async (t) => {
    await measure(t, b);
  });
});

async function measure(t: TestContext, b: Bench): Promise<void> {
  const content = contentOf(1024);
  const ph = await b.placeholder(content);
  b.client.onAccess((e) => void b.client.fill([e.id], ph.src, Date.UTC(2020, 0, 2)));
  const script = `const fs = await import('node:fs');
    const t0 = process.hrtime.bigint();
    const fd = fs.openSync(process.argv[1], 'r');
    const buf = Buffer.alloc(1);
    fs.readSync(fd, buf, 0, 1, 0);
    console.log(Number(process.hrtime.bigint() - t0) / 1e6, buf[0]);`;
  const r = await runNode(script, [ph.path]).done;
  b.client.onAccess((e) => b.events.push(e));
  const [ms = NaN, first] = r.stdout.toString().trim().split(' ').map(Number);
  assert.equal(first, content[0]);
  const plain = path.join(b.lfs.path, 'plain');
  fs.writeFileSync(plain, contentOf(1 << 20));
  const filled = await b.placeholder(contentOf(1 << 20));
  const cat = run('cat', [filled.path]);
  const ev = await b.nextEvent(isPid(cat.child.pid), 'the read that fills');
  await b.client.fill([ev.id], filled.src, Date.UTC(2020, 0, 2));
  await cat.done;
  const preadUs = (file: string): number => {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(4096);
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fs.readSync(fd, buf, 0, 4096, (i % 256) * 4096);
    fs.closeSync(fd);
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  };
  preadUs(plain); // warm both
  const [us1, us2] = [preadUs(filled.path), preadUs(plain)];
  t.diagnostic(`first read of a 1 KiB placeholder, instant fill, open to first byte: ${ms.toFixed(2)} ms`);
  t.diagnostic(
    `4 KiB pread: filled placeholder ${us1.toFixed(2)} us, never-marked file ${us2.toFixed(2)} us`,
  );
}

for (const kind of ['xfs', 'btrfs'] as const) {
  describe(`hsm supervisor on ${kind} (pre-content)`, skipUnless(kind), () => {
    let b: Bench;
    before(async () => {
      b = new Bench(makeLoopFs(kind));
      await b.connect();
    });
    after(() => b?.close());

    it('cat blocks until the daemon fills, then reads the right bytes', async () => {
      assert.equal(b.client.mode, 'pre-content');
      await catFill(b);
    });
  });
}

describe('hsm supervisor on tmpfs (open mode)', skipUnless('tmpfs'), () => {
  let b: Bench;
  before(async () => {
    b = new Bench(makeTmpFs());
    await b.connect();
  });
  after(() => b?.close());

  it('falls back to open events: HsmClient.check and the supervisor both say open', async () => {
    assert.equal(await HsmClient.check(b.lfs.path), 'open');
    assert.equal(b.client.mode, 'open');
  });

  it('cat blocks until the daemon fills, then reads the right bytes', () => catFill(b));

  it('with no daemon connected a read fails with EIO', () => noDaemonEio(b));
});
