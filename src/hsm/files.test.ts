import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimPidFile, livePid, runtimeDir, supervisorFiles } from './files.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-hsm-files-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('supervisorFiles', () => {
  it('names the files by the real path of the folder, the same through a symlink', () => {
    const dir = path.join(tmp, 'local\xff');
    fs.mkdirSync(Buffer.from(dir, 'latin1'));
    fs.symlinkSync(Buffer.from(dir, 'latin1'), path.join(tmp, 'link'));
    const f = supervisorFiles(dir, '/run/x');
    assert.match(f.sock, /^\/run\/x\/hsm-[0-9a-f]{16}\.sock$/);
    assert.equal(f.pid, f.sock.replace(/sock$/, 'pid'));
    assert.equal(f.root.toString('latin1'), fs.realpathSync(tmp) + '/local\xff');
    assert.deepEqual(supervisorFiles(path.join(tmp, 'link'), '/run/x'), f);
    assert.notEqual(supervisorFiles(tmp, '/run/x').key, f.key);
  });

  it('the runtime dir: the caller, else LAZYSYNC_RUNTIME_DIR, else /run/lazysync', () => {
    const saved = process.env.LAZYSYNC_RUNTIME_DIR;
    try {
      process.env.LAZYSYNC_RUNTIME_DIR = '/tmp/rt';
      assert.equal(runtimeDir(), '/tmp/rt');
      assert.equal(runtimeDir('/a'), '/a');
      delete process.env.LAZYSYNC_RUNTIME_DIR;
      assert.equal(runtimeDir(), '/run/lazysync');
    } finally {
      if (saved === undefined) delete process.env.LAZYSYNC_RUNTIME_DIR;
      else process.env.LAZYSYNC_RUNTIME_DIR = saved;
    }
  });
});

describe('claimPidFile', () => {
  it('claims a free or stale pid file; a live pid that is not a supervisor of the folder is stale', () => {
    const f = supervisorFiles(tmp, tmp);
    assert.equal(claimPidFile(f), undefined);
    assert.equal(fs.readFileSync(f.pid, 'latin1'), `${process.pid}\n`);
    // This process's command line has no marker: not a supervisor, so the file is stale and reclaimed.
    assert.equal(livePid(f), undefined);
    fs.writeFileSync(f.pid, '999999999\n');
    assert.equal(claimPidFile(f), undefined);
    assert.equal(fs.readFileSync(f.pid, 'latin1'), `${process.pid}\n`);
  });
});
