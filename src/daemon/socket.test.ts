import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LazysyncError } from '../errors.js';
import { readPidFile, writePidFile, removePidFile, pidFilePath } from './pid.js';
import { listenOnSocket, prepareSocketDir, probeSocket, resolveSocketPath } from './socket.js';

const dirs: string[] = [];
const servers: net.Server[] = [];
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lazysync-socket-'));
  dirs.push(d);
  return d;
}

/** An HTTP server answering /v1/status with our pid, as a daemon does. */
function statusServer(): http.Server {
  const s = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ version: '0', pid: process.pid, pairs: [] }));
  });
  servers.push(s);
  return s;
}

const isRoot = process.getuid?.() === 0;

describe('resolveSocketPath', () => {
  it('takes the flag, else $LAZYSYNC_SOCKET, else $XDG_RUNTIME_DIR, else /tmp/lazysync-UID', () => {
    const env = { LAZYSYNC_SOCKET: '/e/s.sock', XDG_RUNTIME_DIR: '/run/user/7' };
    assert.equal(resolveSocketPath('/f/s.sock', env), '/f/s.sock');
    assert.equal(resolveSocketPath('rel.sock', env), join(process.cwd(), 'rel.sock'));
    assert.equal(resolveSocketPath(undefined, env), '/e/s.sock');
    assert.equal(resolveSocketPath('', env), '/e/s.sock');
    assert.equal(
      resolveSocketPath(undefined, { ...env, LAZYSYNC_SOCKET: '' }),
      '/run/user/7/lazysync/daemon.sock',
    );
    assert.equal(resolveSocketPath(undefined, {}), `/tmp/lazysync-${process.getuid?.()}/daemon.sock`);
  });
});

describe('prepareSocketDir', () => {
  it('creates the folder with mode 0700', () => {
    const sock = join(tempDir(), 'a', 'b', 'daemon.sock');
    prepareSocketDir(sock);
    assert.equal(statSync(join(sock, '..')).mode & 0o777, 0o700);
    prepareSocketDir(sock); // an existing private folder is fine
  });

  it('refuses a folder others can enter, with the fix in the message', () => {
    const dir = join(tempDir(), 'open');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    assert.throws(
      () => prepareSocketDir(join(dir, 'daemon.sock')),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.message ===
          `refusing the socket folder ${dir}: its mode is 0755, others could reach the socket; run chmod 700 ${dir} or use another --socket, or remove or fix ${dir}`,
    );
  });

  it('refuses a folder owned by another user', (t) => {
    if (!isRoot) {
      t.skip('needs root to give a folder to another user');
      return;
    }
    const dir = join(tempDir(), 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    assert.throws(
      () => prepareSocketDir(join(dir, 'daemon.sock')),
      (e: unknown) =>
        e instanceof LazysyncError && /belongs to uid 65534, not to you \(uid 0\)/.test(e.message),
    );
  });
});

describe('listenOnSocket', () => {
  it('listens with the socket at 0600 in a 0700 folder', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    await listenOnSocket(statusServer(), sock);
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    assert.equal(statSync(join(sock, '..')).mode & 0o777, 0o700);
    assert.equal(await probeSocket(sock), 'answering');
  });

  it('refuses a second server on the same socket, naming the pid of the first', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    await listenOnSocket(statusServer(), sock);
    await assert.rejects(
      listenOnSocket(statusServer(), sock),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.code === 'locked' &&
        e.message === `another lazysync daemon is already running on ${sock} (pid ${process.pid})`,
    );
  });

  it('replaces a stale socket file that nobody listens on', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    prepareSocketDir(sock);
    // A daemon killed with SIGKILL leaves its socket file behind.
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    assert.equal(await probeSocket(sock), 'stale');
    await listenOnSocket(statusServer(), sock);
    assert.equal(await probeSocket(sock), 'answering');
  });

  it('refuses to replace a file that is not a socket', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    prepareSocketDir(sock);
    writeFileSync(sock, 'mine');
    await assert.rejects(listenOnSocket(statusServer(), sock), /exists and is not a socket/);
  });
});

describe('pid file', () => {
  it('sits beside the socket and is removed only while it holds our pid', () => {
    const sock = join(tempDir(), 'daemon.sock');
    assert.equal(pidFilePath(sock), join(sock, '..', 'daemon.pid'));
    assert.equal(readPidFile(sock), undefined);
    writePidFile(sock);
    assert.equal(readPidFile(sock), process.pid);
    writeFileSync(pidFilePath(sock), '1\n');
    removePidFile(sock);
    assert.equal(readPidFile(sock), 1);
    writePidFile(sock);
    removePidFile(sock);
    assert.equal(readPidFile(sock), undefined);
  });
});
