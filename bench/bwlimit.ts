// --bwlimit: the rate a limited download really gets, over the sshfs fixture. The transfer itself is timed
// (from the moment its temp file appears in the local folder until the finished file is renamed into place,
// polled every 2 ms), so start-up and scan time, which vary with the machine's load, do not blur the figure.
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRemote } from '../test/fixture/remote.js';
import { bin, track } from './lib.js';

export interface BwRow {
  limit: number;
  measured: number;
  seconds: number;
}

const TEMP_PREFIX = '.lazysync-tmp-';

export async function benchBwlimit(
  sizeMiB: number,
  limitMiB: number,
  log: (s: string) => void,
): Promise<BwRow> {
  const remote = await startRemote({ sshfsOptions: ['reconnect'] });
  try {
    const bytes = sizeMiB << 20;
    writeFileSync(path.join(remote.serverDir, 'big.bin'), Buffer.alloc(bytes, 7));
    const local = path.join(remote.base, 'local');
    const target = path.join(local, 'big.bin');
    const child = track(
      spawn(
        process.execPath,
        [bin, 'sync', '-r', remote.mountDir, '-l', local, '-L', 'n', '--log-level', 'warn'].concat([
          '--bwlimit',
          `${limitMiB}M`,
        ]),
        { stdio: 'ignore' },
      ),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    let started: number | undefined;
    let finished: number | undefined;
    while (!done || finished === undefined) {
      const now = performance.now();
      if (started === undefined) {
        try {
          if (readdirSync(local).some((n) => n.startsWith(TEMP_PREFIX))) started = now;
        } catch {
          /* not created yet */
        }
      }
      if (lstatSync(target, { throwIfNoEntry: false })?.isFile()) {
        finished = now;
        break;
      }
      if (done) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const code = await exited;
    if (code !== 0 || started === undefined || finished === undefined)
      throw new Error(`bwlimit: the limited sync exited ${code}; transfer seen: ${started !== undefined}`);
    // The bucket starts full with a quarter second of burst: those bytes cost no waiting.
    const seconds = (finished - started) / 1000 + 0.25;
    const measured = bytes / seconds;
    const row = { limit: limitMiB << 20, measured, seconds };
    log(
      `--bwlimit ${limitMiB}M: ${sizeMiB} MiB transferred in ${((finished - started) / 1000).toFixed(2)} s (+0.25 s burst): ${(measured / 2 ** 20).toFixed(2)} MiB/s, ${((measured / row.limit) * 100).toFixed(1)}% of the limit`,
    );
    return row;
  } finally {
    await remote.stop();
  }
}
