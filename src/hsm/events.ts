// fanotify numbers (Linux 6.14 include/uapi/linux/fanotify.h), the event parser and the response encoding.
import os from 'node:os';

// fanotify_init flags.
export const FAN_CLASS_CONTENT = 0x04;
export const FAN_CLASS_PRE_CONTENT = 0x08;
export const FAN_UNLIMITED_QUEUE = 0x10;
export const FAN_UNLIMITED_MARKS = 0x20;
export const FAN_REPORT_TID = 0x100;

// Event bits.
export const FAN_OPEN_PERM = 0x00010000;
export const FAN_ACCESS_PERM = 0x00020000;
export const FAN_OPEN_EXEC_PERM = 0x00040000;
/** Read, write, mmap, truncate of a marked file (6.14+, pre-content groups only). */
export const FAN_PRE_ACCESS = 0x00100000;
export const FAN_Q_OVERFLOW = 0x00004000;
export const PERMISSION_EVENTS = FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM | FAN_PRE_ACCESS;

// fanotify_mark flags.
export const FAN_MARK_ADD = 0x01;
export const FAN_MARK_REMOVE = 0x02;
export const FAN_MARK_DONT_FOLLOW = 0x04;

// Responses.
export const FAN_ALLOW = 0x01;
export const FAN_DENY = 0x02;

/** The errnos a pre-content group may answer with (the kernel refuses others with EINVAL). */
export const DENY_ERRNOS = { EIO: 5, EPERM: 1, EAGAIN: 11, EBUSY: 16 } as const;
export type DenyErrno = keyof typeof DENY_ERRNOS;

/** The response denying an event with `errno`; only pre-content groups accept an errno (others: EPERM). */
export function denyResponse(errno: DenyErrno, errnoAllowed: boolean): number {
  if (!errnoAllowed) return FAN_DENY;
  return (FAN_DENY | (DENY_ERRNOS[errno] << 24)) >>> 0;
}

/** fanotify_init's event_f_flags: the event fd is opened read-write (a fill writes through it). */
export const EVENT_FD_FLAGS = 0o2; // O_RDWR; 64-bit kernels add O_LARGEFILE themselves

export interface FanEvent {
  mask: number;
  /** An open file of the object (close it), or -1 (FAN_NOFD: the queue overflowed). */
  fd: number;
  /** The thread that caused the event (FAN_REPORT_TID), or the process. */
  pid: number;
  /** The pages a FAN_PRE_ACCESS is about; count 0 means the whole file. */
  range?: { offset: number; count: number };
}

const METADATA_LEN = 24;
const INFO_TYPE_RANGE = 6;
const LE = os.endianness() === 'LE';

function u32(b: Buffer, off: number): number {
  return LE ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
function u64(b: Buffer, off: number): number {
  return Number(LE ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off));
}

/**
 * The events in `buf`, in order. struct fanotify_event_metadata: u32 event_len; u8 vers; u8 reserved;
 * u16 metadata_len; u64 mask; s32 fd; s32 pid; then info records (u8 type; u8 pad; u16 len; ...) up to
 * event_len. A truncated tail (never produced by the kernel) is ignored.
 */
export function parseFanEvents(buf: Buffer): FanEvent[] {
  const out: FanEvent[] = [];
  let off = 0;
  while (off + METADATA_LEN <= buf.length) {
    const eventLen = u32(buf, off);
    const metaLen = LE ? buf.readUInt16LE(off + 6) : buf.readUInt16BE(off + 6);
    if (eventLen < METADATA_LEN || off + eventLen > buf.length || metaLen < METADATA_LEN) break;
    const ev: FanEvent = {
      mask: u64(buf, off + 8),
      fd: LE ? buf.readInt32LE(off + 16) : buf.readInt32BE(off + 16),
      pid: LE ? buf.readInt32LE(off + 20) : buf.readInt32BE(off + 20),
    };
    let info = off + metaLen;
    while (info + 4 <= off + eventLen) {
      const type = buf[info];
      const len = LE ? buf.readUInt16LE(info + 2) : buf.readUInt16BE(info + 2);
      if (len < 4 || info + len > off + eventLen) break;
      // struct fanotify_event_info_range: header (4); u32 pad; u64 offset; u64 count.
      if (type === INFO_TYPE_RANGE && len >= 24) {
        ev.range = { offset: u64(buf, info + 8), count: u64(buf, info + 16) };
      }
      info += len;
    }
    out.push(ev);
    off += eventLen;
  }
  return out;
}
