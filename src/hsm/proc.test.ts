import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeCaller, parseSyscall, parseTgid } from './proc.js';

const tail = '0x7ffc8f0e7a10 0x7f3b2c91a0b2';

describe('parseSyscall', () => {
  it('reads openat flags (x86_64): O_TRUNC counts only with a write access mode', () => {
    // openat(AT_FDCWD, path, O_WRONLY|O_CREAT|O_TRUNC, 0666)
    assert.deepEqual(parseSyscall(`257 0xffffff9c 0x55d0c0 0x241 0x1b6 0x0 0x0 ${tail}`, 'x64'), {
      truncating: true,
      writing: true,
    });
    // openat(..., O_RDONLY|O_TRUNC): Linux ignores O_TRUNC without write access
    assert.deepEqual(parseSyscall(`257 0xffffff9c 0x55d0c0 0x200 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: false,
      writing: false,
    });
    // openat(..., O_RDWR)
    assert.deepEqual(parseSyscall(`257 0xffffff9c 0x55d0c0 0x2 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: false,
      writing: true,
    });
  });

  it('reads open and creat (x86_64), and openat on arm64', () => {
    assert.deepEqual(parseSyscall(`2 0x55d0c0 0x8241 0x1b6 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: true,
      writing: true,
    });
    assert.deepEqual(parseSyscall(`85 0x55d0c0 0x1b6 0x0 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: true,
      writing: true,
    });
    assert.deepEqual(parseSyscall(`56 0xffffffffffffff9c 0xaaaa 0x241 0x1b6 0x0 0x0 ${tail}`, 'arm64'), {
      truncating: true,
      writing: true,
    });
  });

  it('a write or truncate call is writing; a read, openat2 or no call at all is neither', () => {
    assert.deepEqual(parseSyscall(`1 0x3 0x55d0c0 0x1000 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: false,
      writing: true,
    });
    assert.deepEqual(parseSyscall(`77 0x3 0x0 0x0 0x0 0x0 0x0 ${tail}`, 'x64'), {
      truncating: false,
      writing: true,
    });
    const neither = { truncating: false, writing: false };
    assert.deepEqual(parseSyscall(`0 0x3 0x55d0c0 0x1000 0x0 0x0 0x0 ${tail}`, 'x64'), neither);
    assert.deepEqual(parseSyscall(`437 0xffffff9c 0x55d0c0 0x7ffc 0x18 0x0 0x0 ${tail}`, 'x64'), neither);
    assert.deepEqual(parseSyscall('running', 'x64'), neither);
    assert.deepEqual(parseSyscall(`-1 ${tail}`, 'x64'), neither);
    assert.deepEqual(parseSyscall(`257 0xffffff9c 0x55d0c0 0x241 0x1b6 0x0 0x0 ${tail}`, 'riscv64'), neither);
  });
});

describe('parseTgid and describeCaller', () => {
  it('reads the thread group from /proc/TID/status', () => {
    assert.equal(parseTgid('Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n'), 4242);
    assert.equal(parseTgid('Name:\tx\n'), undefined);
  });

  it('describes this process, and a pid that does not exist as unknown', () => {
    const me = describeCaller(process.pid);
    assert.equal(me.tgid, process.pid);
    assert.equal(me.exe, process.execPath);
    assert.deepEqual(describeCaller(2 ** 22 + 12345), {
      tgid: undefined,
      exe: null,
      comm: null,
      truncating: false,
      writing: false,
    });
  });
});
