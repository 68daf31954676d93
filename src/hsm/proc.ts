// What a thread blocked on a permission event is doing, from /proc: its process, program and system call.
import fs from 'node:fs';

/** What the blocked system call says about the access. */
export interface Intent {
  /** An open that truncates (O_TRUNC with a write access mode, or creat): the old content is not wanted. */
  truncating: boolean;
  /** The caller will write: an open for writing, or a write or truncate call. */
  writing: boolean;
}

interface SyscallTable {
  open?: number;
  creat?: number;
  openat: number;
  writes: readonly number[];
}

// Linux syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h.
const TABLES: Record<string, SyscallTable> = {
  // write, pwrite64, writev, truncate, ftruncate, fallocate, pwritev, pwritev2
  x64: { open: 2, creat: 85, openat: 257, writes: [1, 18, 20, 76, 77, 285, 296, 328] },
  // write, writev, pwrite64, pwritev, truncate, ftruncate, fallocate, pwritev2
  arm64: { openat: 56, writes: [64, 66, 68, 70, 45, 46, 47, 287] },
};

const O_ACCMODE = 0o3;
const O_RDONLY = 0o0;
const O_TRUNC = 0o1000;

const UNKNOWN: Intent = { truncating: false, writing: false };

/**
 * Parses /proc/TID/syscall ("NR ARG1 .. ARG6 SP PC", the number in decimal, the rest in hex; "running"
 * or "-1 SP PC" when the thread is not in a system call). openat2 keeps its flags in user memory, so it
 * reads as neither truncating nor writing.
 */
export function parseSyscall(text: string, arch: string = process.arch): Intent {
  const table = TABLES[arch];
  const parts = text.trim().split(/\s+/);
  if (table === undefined || parts.length < 7) return UNKNOWN;
  const nr = Number(parts[0]);
  if (!Number.isInteger(nr) || nr < 0) return UNKNOWN;
  const arg = (i: number): number => {
    const v = parts[i + 1] ?? '';
    return /^0x[0-9a-f]+$/i.test(v) ? Number(BigInt(v) & 0xffffffffn) : 0;
  };
  let flags: number;
  if (nr === table.open) flags = arg(1);
  else if (nr === table.openat) flags = arg(2);
  else if (nr === table.creat) return { truncating: true, writing: true };
  else if (table.writes.includes(nr)) return { truncating: false, writing: true };
  else return UNKNOWN;
  const writing = (flags & O_ACCMODE) !== O_RDONLY;
  return { truncating: writing && (flags & O_TRUNC) !== 0, writing };
}

/** The thread group (process) a thread id belongs to, from /proc/TID/status; undefined if it is gone. */
export function parseTgid(statusText: string): number | undefined {
  const m = /^Tgid:\s*(\d+)$/m.exec(statusText);
  return m === null ? undefined : Number(m[1]);
}

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** Everything the supervisor reports about who caused an event. Reads /proc synchronously (no disk). */
export interface Caller extends Intent {
  /** The process (thread group) of the thread. */
  tgid: number | undefined;
  exe: string | null;
  comm: string | null;
}

export function describeCaller(tid: number): Caller {
  const dir = `/proc/${tid}`;
  const tgid = readOr(() => parseTgid(fs.readFileSync(`${dir}/status`, 'latin1')), undefined);
  const exe = readOr(() => fs.readlinkSync(`${dir}/exe`, 'latin1'), null);
  const comm = readOr(() => fs.readFileSync(`${dir}/comm`, 'latin1').replace(/\n$/, ''), null);
  const intent = readOr(() => parseSyscall(fs.readFileSync(`${dir}/syscall`, 'latin1')), UNKNOWN);
  return { tgid, exe, comm, ...intent };
}
