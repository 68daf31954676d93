// Test helpers for the watchers: temp dirs, waiting for asynchronous kernel events, running small scripts.
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { Inotify } from '../../src/watch/inotify.js';
import { b } from './fs.js';

/** Temp dirs and binary paths are the I/O helpers' (fs.ts). */
export { b, makeTmp, rmTmp } from './fs.js';

/** The reason to skip kernel tests when the addon is not built (one test in inotify.test.ts fails instead). */
export const NO_ADDON: string | false = Inotify.available()
  ? false
  : `inotify addon not built (npm run install, i.e. node-gyp rebuild): ${firstLine(Inotify.loadError())}`;

function firstLine(e: unknown): string {
  return String(e).split('\n')[0] ?? '';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Open and close a file (a read-only open: IN_OPEN + IN_CLOSE_NOWRITE). */
export function touchOpen(file: string): void {
  fs.closeSync(fs.openSync(b(file), 'r'));
}

export function sh(script: string, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

export { waitFor } from '../fixture/poll.js';
