import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFilesOf, processIds } from './proc-fds.js';

describe('open files from /proc', () => {
  it('lists this process, and a file it holds open by its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazysync-procfds-'));
    const file = join(dir, 'held.txt');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    try {
      assert.ok(processIds().includes(process.pid));
      const files = openFilesOf(process.pid);
      assert.ok(files !== undefined);
      assert.ok(files.some(([n, target]) => n === String(fd) && target.toString() === file));
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
    assert.ok(!(openFilesOf(process.pid) ?? []).some(([, target]) => target.toString() === file));
  });
  it('a process that is not there has no list, and an unreadable /proc no processes', () => {
    assert.equal(openFilesOf(0x7fffffff), undefined);
    assert.deepEqual(processIds('/nonexistent-proc'), []);
  });
});
