// Lazy mode: how many short opens of placeholders are caught per detection mode, and how long from an
// open until the local copy is in place, over the sshfs fixture.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRemote } from '../test/fixture/remote.js';
import { bin, median, percentile } from './lib.js';

export interface AccessRow {
  mode: 'inotify' | 'proc';
  opens: number;
  caught: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

const isFile = (p: string): boolean => {
  try {
    return lstatSync(p).isFile();
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return cond();
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function benchAccess(
  opens: number,
  latencySamples: number,
  log: (s: string) => void,
): Promise<AccessRow[]> {
  const remote = await startRemote({ sshfsOptions: ['reconnect'] });
  const rows: AccessRow[] = [];
  try {
    for (const mode of ['inotify', 'proc'] as const) {
      const server = path.join(remote.serverDir, mode);
      mkdirSync(server);
      const n = opens + latencySamples;
      for (let i = 0; i < n; i++)
        writeFileSync(path.join(server, `f${i}.txt`), `small file ${i}\n`.repeat(20));
      const local = path.join(remote.base, `local-${mode}`);
      const child = spawn(
        'node',
        [
          bin,
          'run',
          '-r',
          path.join(remote.mountDir, mode),
          '-l',
          local,
          '--interval',
          '3600',
          '--access-detect',
          mode,
          '--log-level',
          'warn',
        ],
        { stdio: 'ignore' },
      );
      try {
        const all = Array.from({ length: n }, (_, k) => path.join(local, `f${k}.txt`));
        const isLink = (p: string): boolean =>
          lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() === true;
        if (!(await until(() => all.every(isLink), 60_000)))
          throw new Error(`${mode}: placeholders did not appear`);
        // Short opens: one `cat` process each, one after the other.
        for (let i = 0; i < opens; i++)
          spawnSync('cat', [path.join(local, `f${i}.txt`)], { stdio: 'ignore' });
        const files = Array.from({ length: opens }, (_, i) => path.join(local, `f${i}.txt`));
        await until(() => files.every(isFile), mode === 'inotify' ? 60_000 : 3_000);
        const caught = files.filter(isFile).length;
        // Latency: open one file, then poll until its local copy is in place.
        const lat: number[] = [];
        for (let i = opens; i < n; i++) {
          const f = path.join(local, `f${i}.txt`);
          const t0 = performance.now();
          const reader = spawn('sh', ['-c', mode === 'proc' ? `sleep 1 < '${f}'` : `cat '${f}' > /dev/null`]);
          const exited = new Promise((r) => reader.once('exit', r)); // listen now: it may exit before we look
          if (await until(() => isFile(f), 10_000)) lat.push(performance.now() - t0);
          await exited;
        }
        const row: AccessRow = {
          mode,
          opens,
          caught,
          latencyP50Ms: lat.length ? median(lat) : NaN,
          latencyP95Ms: lat.length ? percentile(lat, 95) : NaN,
        };
        log(
          `${mode}: caught ${caught}/${opens} short opens; open -> local copy p50 ${row.latencyP50Ms.toFixed(1)} ms, p95 ${row.latencyP95Ms.toFixed(1)} ms (${lat.length} samples)`,
        );
        rows.push(row);
      } finally {
        await stop(child);
      }
    }
  } finally {
    await remote.stop();
  }
  return rows;
}
