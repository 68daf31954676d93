import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FAN_ALLOW,
  FAN_DENY,
  FAN_OPEN_PERM,
  FAN_PRE_ACCESS,
  denyResponse,
  parseFanEvents,
} from './events.js';

/** struct fanotify_event_metadata (24 bytes), plus a range record when `range` is given. */
function rawEvent(mask: number, fd: number, pid: number, range?: { offset: number; count: number }): Buffer {
  const len = 24 + (range === undefined ? 0 : 24);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(len, 0);
  b.writeUInt8(3, 4); // FANOTIFY_METADATA_VERSION
  b.writeUInt16LE(24, 6);
  b.writeBigUInt64LE(BigInt(mask), 8);
  b.writeInt32LE(fd, 16);
  b.writeInt32LE(pid, 20);
  if (range !== undefined) {
    b.writeUInt8(6, 24); // FAN_EVENT_INFO_TYPE_RANGE
    b.writeUInt16LE(24, 26);
    b.writeBigUInt64LE(BigInt(range.offset), 32);
    b.writeBigUInt64LE(BigInt(range.count), 40);
  }
  return b;
}

describe('parseFanEvents', () => {
  it('reads events in order, with their range records', () => {
    const buf = Buffer.concat([
      rawEvent(FAN_OPEN_PERM, 7, 100),
      rawEvent(FAN_PRE_ACCESS, 8, 101, { offset: 4096, count: 8192 }),
      rawEvent(FAN_PRE_ACCESS, 9, 102, { offset: 2 ** 40, count: 0 }),
    ]);
    assert.deepEqual(parseFanEvents(buf), [
      { mask: FAN_OPEN_PERM, fd: 7, pid: 100 },
      { mask: FAN_PRE_ACCESS, fd: 8, pid: 101, range: { offset: 4096, count: 8192 } },
      { mask: FAN_PRE_ACCESS, fd: 9, pid: 102, range: { offset: 2 ** 40, count: 0 } },
    ]);
  });

  it('reads FAN_NOFD and skips info records it does not know', () => {
    const ev = rawEvent(FAN_OPEN_PERM, -1, 5, { offset: 0, count: 0 });
    ev.writeUInt8(4, 24); // a pidfd record, not a range
    assert.deepEqual(parseFanEvents(ev), [{ mask: FAN_OPEN_PERM, fd: -1, pid: 5 }]);
  });

  it('ignores a truncated tail and a malformed length', () => {
    const whole = rawEvent(FAN_OPEN_PERM, 3, 4);
    assert.equal(parseFanEvents(Buffer.concat([whole, whole.subarray(0, 20)])).length, 1);
    const bad = Buffer.from(whole);
    bad.writeUInt32LE(8, 0);
    assert.deepEqual(parseFanEvents(bad), []);
  });
});

describe('denyResponse', () => {
  it('puts the errno in the top byte for pre-content groups, plain FAN_DENY otherwise', () => {
    assert.equal(denyResponse('EIO', true), (FAN_DENY | (5 << 24)) >>> 0);
    assert.equal(denyResponse('EBUSY', true), 0x10000002);
    assert.equal(denyResponse('EIO', false), FAN_DENY);
    assert.notEqual(denyResponse('EPERM', true) & FAN_ALLOW, FAN_ALLOW);
  });
});
