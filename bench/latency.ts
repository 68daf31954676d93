// Change latency (d): how long a local change takes to reach the server with `lazysync run` (kernel events
// only: --interval 3600), and how long a placeholder takes to become a local copy after an open, both at a
// one-way delay (20 ms by default), in ms and in round trips.
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchRemote } from './net.js';
import {
  bin,
  median,
  met,
  ms,
  percentile,
  stopChild,
  timeCommand,
  track,
  until,
  type Section,
} from './lib.js';

export interface LatencyOptions {
  delay: number;
  changes: number;
  opens: number;
  /** Files already in the synced folder for the change-latency pair. */
  treeFiles: number;
}

const isFile = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isFile() === true;
const isLink = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() === true;
const contentIs = (p: string, want: string): boolean => {
  try {
    return readFileSync(p, 'utf8') === want;
  } catch {
    return false;
  }
};

function runDaemon(r: string, l: string, lazy: string): ChildProcess {
  return track(
    spawn(
      process.execPath,
      [bin, 'run', '-r', r, '-l', l, '-L', lazy, '--interval', '3600', '--log-level', 'warn'],
      { stdio: 'ignore' },
    ),
  );
}

export async function benchLatency(
  br: BenchRemote,
  o: LatencyOptions,
  log: (s: string) => void,
): Promise<Section[]> {
  const { remote } = br;
  const S = path.join(remote.serverDir, 'lat');
  const R = path.join(remote.mountDir, 'lat');
  const L = path.join(remote.base, 'lat-local');
  mkdirSync(S);
  for (let i = 0; i < o.treeFiles; i++) writeFileSync(path.join(S, `f${i}.txt`), `file ${i}\n`);
  // The first (eager) sync at no delay, then the daemon at the measured delay.
  await br.setDelay(0);
  await timeCommand('node', [bin, 'sync', '-r', R, '-l', L, '-L', 'n', '--log-level', 'warn']);
  await br.setDelay(o.delay);
  const rtt = br.rtt();

  const lat: number[] = [];
  let daemon = runDaemon(R, L, 'n');
  try {
    // One change not counted: the daemon's start-up pass runs first.
    const change = async (i: number): Promise<number> => {
      const name = i % 2 === 0 ? `new-${i}.txt` : `f${i % Math.max(1, o.treeFiles)}.txt`;
      const body = `change ${i} at ${Date.now()}\n`;
      const t0 = performance.now();
      writeFileSync(path.join(L, name), body);
      if (!(await until(() => contentIs(path.join(S, name), body), 60_000, 2)))
        throw new Error(`change ${i} (${name}) did not reach the server in 60 s`);
      return performance.now() - t0;
    };
    await change(-2);
    for (let i = 0; i < o.changes; i++) {
      lat.push(await change(i));
      await new Promise((r) => setTimeout(r, 200)); // separate changes, not a burst
    }
  } finally {
    await stopChild(daemon);
  }
  const p50 = median(lat);
  const p95 = percentile(lat, 95);
  log(`  change latency at ${o.delay} ms (rtt ${ms(rtt)}): p50 ${ms(p50)}, p95 ${ms(p95)} (${lat.length})`);

  // Hydration after an open, small files, lazy mode, inotify detection.
  const HS = path.join(remote.serverDir, 'hyd');
  const HL = path.join(remote.base, 'hyd-local');
  mkdirSync(HS);
  for (let i = 0; i < o.opens; i++) writeFileSync(path.join(HS, `h${i}.txt`), `small file ${i}\n`.repeat(20));
  await br.cold();
  const hyd: number[] = [];
  daemon = runDaemon(path.join(remote.mountDir, 'hyd'), HL, 'y');
  try {
    const files = Array.from({ length: o.opens }, (_, i) => path.join(HL, `h${i}.txt`));
    if (!(await until(() => files.every(isLink), 120_000, 10)))
      throw new Error('placeholders did not appear');
    await new Promise((r) => setTimeout(r, 500)); // let the first pass settle
    for (const f of files) {
      const t0 = performance.now();
      const reader = spawn('sh', ['-c', `cat '${f}' > /dev/null`], { stdio: 'ignore' });
      const exited = new Promise((r) => reader.once('exit', r));
      if (!(await until(() => isFile(f), 30_000))) throw new Error(`${f} not hydrated`);
      hyd.push(performance.now() - t0);
      await exited;
    }
  } finally {
    await stopChild(daemon);
  }
  const h50 = median(hyd);
  log(`  hydration at ${o.delay} ms (rtt ${ms(rtt)}): median ${ms(h50)} = ${(h50 / rtt).toFixed(1)} rtt`);

  return [
    {
      title: `Change latency at ${o.delay} ms delay`,
      intro: [
        `\`lazysync run -L n --interval 3600\` on a pair of ${o.treeFiles} files (so only kernel events on the local`,
        `folder can start work); ${o.changes} changes one after the other (200 ms apart), alternately a new file and`,
        'an edit of an existing one (write + close); time from the write until the server folder holds the new',
        'content (polled every 2 ms). Remote changes are found by the periodic pass: their latency is the',
        "interval plus one scan (see the remote-scan table), plus up to sshfs's directory cache timeout (~20 s",
        'by default) before the mount shows a server-side change. Target: p50 < 1 s.',
      ],
      head: ['what', 'rtt (measured)', 'p50', 'p95', 'samples', 'target'],
      rows: [['local change -> server', ms(rtt), ms(p50), ms(p95), String(lat.length), met(p50 < 1000)]],
    },
    {
      title: `Hydration after an open at ${o.delay} ms delay`,
      intro: [
        `\`lazysync run\` (lazy, inotify open detection); each of ${o.opens} small placeholders (300 B) is read once`,
        'by `cat`; time from starting `cat` until the local copy is in place (polled every 1 ms).',
        'Target: median within 6 round trips.',
      ],
      head: ['rtt (measured)', 'median', 'p95', 'median in round trips', 'target'],
      rows: [[ms(rtt), ms(h50), ms(percentile(hyd, 95)), (h50 / rtt).toFixed(1), met(h50 / rtt <= 6)]],
    },
  ];
}
