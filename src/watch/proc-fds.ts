// Which files processes hold open, from /proc: each process's fd folder lists its descriptors as symlinks
// whose text is the open file's path (proc(5)).
import fs from 'node:fs';

/** The PIDs in `proc` (a /proc folder), in the order the kernel lists them; none if it cannot be read. */
export function processIds(proc = '/proc'): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(proc);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const pid = Number(n);
    if (Number.isInteger(pid)) pids.push(pid);
  }
  return pids;
}

/**
 * The open files of process `pid` as [fd, path] pairs, the path as the kernel wrote it (bytes); undefined
 * when the process is gone or another user's. A descriptor closed while it is read is left out.
 */
export function openFilesOf(pid: number, proc = '/proc'): [fd: string, target: Buffer][] | undefined {
  const dir = `${proc}/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return undefined; // ENOENT/ESRCH: the process is gone; EACCES: another user's process
  }
  const out: [string, Buffer][] = [];
  for (const fd of fds) {
    try {
      out.push([fd, fs.readlinkSync(`${dir}/${fd}`, { encoding: 'buffer' })]);
    } catch {
      // the fd was closed meanwhile
    }
  }
  return out;
}
