import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { LazysyncError } from '../errors.js';
import { acquireLock, isAlive, parsePid } from './lock.js';

const dirs: string[] = [];
function tempStateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lazysync-lock-'));
  dirs.push(d);
  return join(d, '.lazysync');
}

/** A pid that just exited (and was reaped), so nothing owns it for the moment. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

/** A child process that holds the lock of `stateDir` until killed. */
async function childHolding(stateDir: string): Promise<ChildProcess> {
  const lockUrl = new URL('./lock.js', import.meta.url).href;
  const code = `import { acquireLock } from ${JSON.stringify(lockUrl)};
acquireLock(${JSON.stringify(stateDir)}); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'held\n');
  return child;
}

function assertLocked(stateDir: string, message: RegExp): void {
  assert.throws(
    () => acquireLock(stateDir),
    (e: unknown) => e instanceof LazysyncError && e.code === 'locked' && message.test(e.message),
  );
}

describe('acquireLock', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('creates the lock with our pid and removes it on release', () => {
    const sd = tempStateDir();
    const lock = acquireLock(sd);
    assert.equal(readFileSync(join(sd, 'lock'), 'utf8'), `${process.pid}\n`);
    assertLocked(sd, /already running this local folder/);
    lock.release();
    lock.release();
    assert.equal(existsSync(join(sd, 'lock')), false);
    acquireLock(sd).release();
  });

  it('fails while a live process holds it, and takes it over once that process is dead', async () => {
    const sd = tempStateDir();
    const child = await childHolding(sd);
    try {
      assertLocked(
        sd,
        new RegExp(`^another lazysync \\(pid ${child.pid}\\) is already running for this local folder$`),
      );
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    assert.equal(readFileSync(join(sd, 'lock'), 'utf8'), `${child.pid}\n`);
    const lock = acquireLock(sd);
    assert.equal(readFileSync(join(sd, 'lock'), 'utf8'), `${process.pid}\n`);
    lock.release();
    assert.deepEqual(readdirSync(sd), []);
  });

  it('replaces a stale lock: dead pid, garbage, empty, our own pid from an earlier life', () => {
    for (const content of [`${deadPid()}\n`, 'garbage', '', '-1', '0\n', `${process.pid}\n`, '99999999999']) {
      const sd = tempStateDir();
      mkdirSync(sd);
      writeFileSync(join(sd, 'lock'), content);
      const lock = acquireLock(sd);
      assert.equal(readFileSync(join(sd, 'lock'), 'utf8'), `${process.pid}\n`, JSON.stringify(content));
      lock.release();
      assert.deepEqual(readdirSync(sd), [], JSON.stringify(content));
    }
  });

  it('release leaves a lock that is no longer ours', () => {
    const sd = tempStateDir();
    const lock = acquireLock(sd);
    writeFileSync(join(sd, 'lock'), '1\n');
    lock.release();
    assert.equal(readFileSync(join(sd, 'lock'), 'utf8'), '1\n');
  });

  it('parses pids strictly and checks liveness', () => {
    assert.equal(parsePid('123\n'), 123);
    assert.equal(parsePid('123'), 123);
    for (const bad of ['', '0', '-5', ' 12', '12 \n', '1e3', 'abc', '12\n13'])
      assert.equal(parsePid(bad), undefined, bad);
    assert.equal(isAlive(process.pid), true);
    assert.equal(isAlive(1), true); // init: alive, maybe EPERM
  });
});
