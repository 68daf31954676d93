// Where a supervisor keeps its socket, pid file and log, and how to tell whether one runs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_RUNTIME_DIR = '/run/lazysync';

/** supervisor-main's exit codes: placeholders are not possible here / another supervisor of the folder runs. */
export const EXIT_UNAVAILABLE = 3;
export const EXIT_RUNNING = 4;
/** The prefix of the log line that says why the supervisor could not start. */
export const UNAVAILABLE_PREFIX = 'unavailable: ';

/** The runtime dir: the caller's choice, else LAZYSYNC_RUNTIME_DIR, else /run/lazysync. */
export function runtimeDir(override?: string): string {
  const env = process.env.LAZYSYNC_RUNTIME_DIR;
  return override ?? (env !== undefined && env !== '' ? env : DEFAULT_RUNTIME_DIR);
}

export interface SupervisorFiles {
  /** The local folder's real path (bytes): what the supervisor is for. */
  root: Buffer;
  /** 16 hex digits of sha256 of `root`: names the files and marks the supervisor's command line. */
  key: string;
  sock: string;
  pid: string;
  log: string;
}

/** The files of the supervisor of `localRoot` (a binary string); a folder gone since is taken as it is. */
export function supervisorFiles(localRoot: string, dir: string): SupervisorFiles {
  const given = Buffer.from(path.resolve(localRoot), 'latin1');
  let root: Buffer;
  try {
    root = fs.realpathSync.native(given, { encoding: 'buffer' }); // native: the JS one decodes names as UTF-8
  } catch {
    root = given;
  }
  const key = crypto.createHash('sha256').update(root).digest('hex').slice(0, 16);
  const base = path.join(dir, `hsm-${key}`);
  return { root, key, sock: `${base}.sock`, pid: `${base}.pid`, log: `${base}.log` };
}

/** Makes the runtime dir (mode 0700: only root reaches the sockets). */
export function ensureRuntimeDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** The marker in a supervisor's command line, so a recycled pid is never mistaken for ours. */
export function commandMarker(key: string): string {
  return `--hsm-key=${key}`;
}

/** The pid in the pid file if that process is alive and is the supervisor of `files`; else undefined. */
export function livePid(files: SupervisorFiles): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(files.pid, 'latin1').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    return cmdline.includes(commandMarker(files.key)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes our pid into the pid file, unless a live supervisor of the same folder holds it: then returns
 * that supervisor's pid. A stale file (dead process, or someone else's pid) is replaced.
 */
export function claimPidFile(files: SupervisorFiles): number | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(files.pid, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return undefined;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
    }
    const other = livePid(files);
    if (other !== undefined && other !== process.pid) return other;
    fs.rmSync(files.pid, { force: true });
  }
  throw new Error(`cannot claim ${files.pid}`);
}
