import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LazysyncError } from '../errors.js';
import { readPidFile, writePidFile, removePidFile, pidFilePath } from './pid.js';
import {
  existingSocketProblem,
  listenOnSocket,
  prepareSocketDir,
  probeSocket,
  resolveSocketPath,
  socketDirProblem,
} from './socket.js';

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

const DIR = 0o040000;
const LINK = 0o120000;
const SOCK = 0o140000;
const FILE = 0o100000;
const me = process.getuid?.() ?? 0;
const NOBODY = 65534;

describe('socketDirProblem: could others replace the socket in this folder?', () => {
  it('accepts a folder of ours or root that only its owner can write, whoever may read or enter it', () => {
    for (const mode of [0o700, 0o711, 0o750, 0o755]) {
      assert.equal(socketDirProblem({ uid: me, mode: DIR | mode }, me), undefined, mode.toString(8));
      assert.equal(socketDirProblem({ uid: 0, mode: DIR | mode }, me), undefined, mode.toString(8));
    }
  });

  it('refuses a folder writable by group or others, unless the sticky bit is set (as on /tmp)', () => {
    for (const mode of [0o770, 0o775, 0o757, 0o777, 0o720]) {
      assert.equal(
        socketDirProblem({ uid: me, mode: DIR | mode }, me),
        `has mode ${mode.toString(8).padStart(4, '0')}: others could replace the socket`,
      );
    }
    assert.equal(socketDirProblem({ uid: 0, mode: DIR | 0o1777 }, me), undefined);
    assert.equal(socketDirProblem({ uid: me, mode: DIR | 0o1770 }, me), undefined);
  });

  it('refuses a folder of another user, even a sticky one, and anything that is not a folder', () => {
    assert.equal(
      socketDirProblem({ uid: NOBODY, mode: DIR | 0o700 }, 1000),
      'belongs to uid 65534, not to you (uid 1000) or root',
    );
    assert.match(socketDirProblem({ uid: NOBODY, mode: DIR | 0o1777 }, 1000) ?? '', /belongs to uid 65534/);
    assert.equal(socketDirProblem({ uid: me, mode: FILE | 0o700 }, me), 'is not a folder');
    assert.equal(socketDirProblem({ uid: me, mode: LINK | 0o777 }, me), 'is not a folder');
  });

  it('accepts a symlink above the socket folder when it is ours or root (where it leads is checked too)', () => {
    assert.equal(socketDirProblem({ uid: me, mode: LINK | 0o777 }, me, true), undefined);
    assert.equal(socketDirProblem({ uid: 0, mode: LINK | 0o777 }, me, true), undefined);
    assert.match(socketDirProblem({ uid: NOBODY, mode: LINK | 0o777 }, 1000, true) ?? '', /belongs to uid/);
  });
});

describe('existingSocketProblem: may a daemon take over what is at the socket path?', () => {
  it('only a socket of ours with mode 0600', () => {
    assert.equal(existingSocketProblem({ uid: me, mode: SOCK | 0o600 }, me), undefined);
    assert.equal(
      existingSocketProblem({ uid: me, mode: SOCK | 0o666 }, me),
      'it is a socket with mode 0666, not 0600',
    );
    assert.equal(
      existingSocketProblem({ uid: NOBODY, mode: SOCK | 0o600 }, 1000),
      'it is a socket of uid 65534, not yours (uid 1000)',
    );
    assert.equal(existingSocketProblem({ uid: me, mode: FILE | 0o600 }, me), 'it exists and is not a socket');
  });
});

describe('prepareSocketDir', () => {
  it('creates the folder with mode 0700', () => {
    const sock = join(tempDir(), 'a', 'b', 'daemon.sock');
    prepareSocketDir(sock);
    assert.equal(statSync(join(sock, '..')).mode & 0o777, 0o700);
    prepareSocketDir(sock); // an existing private folder is fine
  });

  it('accepts an existing folder others may read and enter (0755), and a sticky one (1777)', () => {
    for (const mode of [0o755, 0o1777]) {
      const dir = join(tempDir(), 'open');
      mkdirSync(dir);
      chmodSync(dir, mode);
      prepareSocketDir(join(dir, 'daemon.sock'));
      assert.equal(statSync(dir).mode & 0o7777, mode, 'the folder was left as it was');
    }
  });

  it('refuses a folder others could write into, with the fix in one line', () => {
    const dir = join(tempDir(), 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const sock = join(dir, 'daemon.sock');
    assert.throws(
      () => prepareSocketDir(sock),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.code === 'usage' &&
        e.message ===
          `refusing the socket ${sock}: ${dir} has mode 0777: others could replace the socket; run chmod go-w ${dir}, or use another --socket`,
    );
  });

  it('refuses a socket folder below a folder others could write into', () => {
    const open = join(tempDir(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o775);
    const sock = join(open, 'mine', 'daemon.sock');
    assert.throws(() => prepareSocketDir(sock), new RegExp(`: ${open} has mode 0775: others could replace`));
  });

  it('refuses a socket folder that is a symlink, accepts a symlink above it', () => {
    const base = tempDir();
    mkdirSync(join(base, 'real', 'run'), { recursive: true });
    symlinkSync(join(base, 'real', 'run'), join(base, 'run-link'));
    assert.throws(
      () => prepareSocketDir(join(base, 'run-link', 'daemon.sock')),
      /run-link is not a folder; use another --socket$/,
    );
    symlinkSync(join(base, 'real'), join(base, 'real-link'));
    prepareSocketDir(join(base, 'real-link', 'run', 'daemon.sock'));
  });

  it('refuses a symlink above the socket folder that leads through a folder others could write into', () => {
    const base = tempDir();
    mkdirSync(join(base, 'open', 'run'), { recursive: true });
    chmodSync(join(base, 'open'), 0o777);
    symlinkSync(join(base, 'open'), join(base, 'link'));
    assert.throws(
      () => prepareSocketDir(join(base, 'link', 'run', 'daemon.sock')),
      new RegExp(`: ${join(base, 'open')} has mode 0777`),
    );
  });

  it('refuses a folder owned by another user', (t) => {
    if (!isRoot) {
      t.skip('needs root to give a folder to another user');
      return;
    }
    const dir = join(tempDir(), 'theirs');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOBODY, NOBODY);
    assert.throws(
      () => prepareSocketDir(join(dir, 'daemon.sock')),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.message ===
          `refusing the socket ${join(dir, 'daemon.sock')}: ${dir} belongs to uid 65534, not to you (uid 0) or root; use another --socket`,
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
    staleSocket(sock);
    chmodSync(sock, 0o600); // as our own daemon leaves it
    assert.equal(await probeSocket(sock), 'stale');
    await listenOnSocket(statusServer(), sock);
    assert.equal(await probeSocket(sock), 'answering');
  });

  it('refuses to replace a file that is not a socket', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    prepareSocketDir(sock);
    writeFileSync(sock, 'mine');
    await assert.rejects(
      listenOnSocket(statusServer(), sock),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.code === 'usage' &&
        e.message ===
          `refusing the socket ${sock}: it exists and is not a socket; remove it or use another --socket`,
    );
  });

  it('refuses a stale socket that is not 0600, or not ours, and leaves it', async () => {
    const sock = join(tempDir(), 'run', 'daemon.sock');
    prepareSocketDir(sock);
    staleSocket(sock);
    chmodSync(sock, 0o666);
    await assert.rejects(
      listenOnSocket(statusServer(), sock),
      (e: unknown) =>
        e instanceof LazysyncError &&
        e.code === 'usage' &&
        e.message ===
          `refusing the socket ${sock}: it is a socket with mode 0666, not 0600; remove it or use another --socket`,
    );
    assert.equal(await probeSocket(sock), 'stale', 'the socket was left in place');
    if (isRoot) {
      chmodSync(sock, 0o600);
      chownSync(sock, NOBODY, NOBODY);
      await assert.rejects(listenOnSocket(statusServer(), sock), /it is a socket of uid 65534, not yours/);
    }
  });

  it('in a folder others may enter (0755), the socket is 0600 from the start and others cannot connect', async (t) => {
    const base = tempDir();
    chmodSync(base, 0o755);
    const dir = join(base, 'run');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const sock = join(dir, 'daemon.sock');
    await listenOnSocket(statusServer(), sock);
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    assert.equal(await probeSocket(sock), 'answering');
    if (!isRoot) {
      t.skip('needs root to connect as another user');
      return;
    }
    // A plain node -e as nobody: nothing of this checkout needs to be readable for it.
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').connect(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`,
      ],
      { uid: NOBODY, gid: NOBODY, cwd: '/', encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), 'EACCES', r.stderr);
  });
});

/** Leaves a socket file at `sock` that nobody listens on, as a daemon killed with SIGKILL does. */
function staleSocket(sock: string): void {
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
}

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
