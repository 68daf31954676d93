// The daemon's pid file beside its socket (`daemon.sock` -> `daemon.pid`), for `lazysync stop`/`start`.
import fs from 'node:fs';
import path from 'node:path';

/** The pid file of the daemon serving `socketPath`: the socket's name with `.pid` for its extension. */
export function pidFilePath(socketPath: string): string {
  const base = path.basename(socketPath, path.extname(socketPath));
  return path.join(path.dirname(socketPath), `${base}.pid`);
}

/** Writes our pid (temp file and rename, so a reader never sees it half written). */
export function writePidFile(socketPath: string): void {
  const file = pidFilePath(socketPath);
  const temp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temp, `${process.pid}\n`, { mode: 0o600 });
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** The pid in the pid file of the daemon serving `socketPath`, or undefined (no file, or not a pid). */
export function readPidFile(socketPath: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFilePath(socketPath), 'utf8');
  } catch {
    return undefined;
  }
  const m = /^(\d+)\n?$/.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Removes the pid file if it still holds our pid (another daemon may have taken the socket since). */
export function removePidFile(socketPath: string): void {
  if (readPidFile(socketPath) === process.pid) fs.rmSync(pidFilePath(socketPath), { force: true });
}
