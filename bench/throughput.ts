// Transfer throughput (c): one big file at 0 ms delay (hydrating a placeholder on open, uploading with
// `lazysync sync`) and many small files at 20 ms (eager first sync, upload), each against `cp` over the same
// mount, cold caches (remounted before every run).
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { cp as copyTree, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BenchRemote } from './net.js';
import {
  bin,
  fmt,
  median,
  met,
  ms,
  ratio,
  stopChild,
  timeCommand,
  track,
  until,
  type Section,
} from './lib.js';

export interface ThroughputOptions {
  bigMiB: number;
  smallFiles: number;
  smallDelay: number;
  runs: number;
  /** Runs of `cp -r` of the small files at the delay (minutes per run for 1,000 files); default `runs`. */
  slowRuns?: number;
}

const isFile = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isFile() === true;
const isLink = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() === true;

async function rep(runs: number, before: () => Promise<void>, run: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await before();
    times.push(await run());
  }
  return median(times);
}

export async function benchThroughput(
  br: BenchRemote,
  o: ThroughputOptions,
  log: (s: string) => void,
): Promise<Section[]> {
  const { remote } = br;
  const base = remote.base;
  const M = remote.mountDir;
  const S = remote.serverDir;
  const sync = (r: string, l: string, lazy: string): Promise<number> =>
    timeCommand('node', [bin, 'sync', '-r', r, '-l', l, '-L', lazy, '--log-level', 'warn']);

  // ---- one big file, 0 ms
  await br.setDelay(0);
  const rtt0 = br.rtt();
  const chunk = randomBytes(1 << 20);
  mkdirSync(path.join(S, 'big'));
  const bigServer = path.join(S, 'big', 'big.bin');
  writeFileSync(bigServer, Buffer.concat(Array.from({ length: o.bigMiB }, () => chunk)));
  const bigLocal = path.join(base, 'big.bin');
  writeFileSync(bigLocal, Buffer.concat(Array.from({ length: o.bigMiB }, () => chunk)));

  const cpDown = await rep(
    o.runs,
    async () => {
      await rm(path.join(base, 'cp-big.bin'), { force: true });
      await br.cold();
    },
    () => timeCommand('cp', [path.join(M, 'big', 'big.bin'), path.join(base, 'cp-big.bin')]),
  );
  await rm(path.join(base, 'cp-big.bin'), { force: true });
  log(`  big file: cp from the mount ${fmt(cpDown)}`);

  // Hydration: `lazysync run` (lazy) shows the placeholder; a process opens it and closes it at once; time
  // from the open until the local copy is in place.
  const Lh = path.join(base, 'big-hydrate');
  const hydrate = await rep(
    o.runs,
    async () => {
      await rm(Lh, { recursive: true, force: true });
      await br.cold();
    },
    async () => {
      const child = track(
        spawn(
          process.execPath,
          [bin, 'run', '-r', path.join(M, 'big'), '-l', Lh, '--interval', '3600', '--log-level', 'warn'],
          { stdio: 'ignore' },
        ),
      );
      try {
        const f = path.join(Lh, 'big.bin');
        if (!(await until(() => isLink(f), 60_000, 5))) throw new Error('big: no placeholder');
        await new Promise((r) => setTimeout(r, 500)); // let the first pass settle
        const t0 = performance.now();
        const opener = spawn('sh', ['-c', `: < '${f}'`], { stdio: 'ignore' });
        await new Promise((r) => opener.once('exit', r));
        if (!(await until(() => isFile(f), 300_000, 2))) throw new Error('big: not hydrated');
        return (performance.now() - t0) / 1000;
      } finally {
        await stopChild(child);
      }
    },
  );
  await rm(Lh, { recursive: true, force: true });
  log(`  big file: lazysync hydration on open ${fmt(hydrate)}`);

  mkdirSync(path.join(S, 'up-cp'));
  const cpUp = await rep(
    o.runs,
    async () => {
      await rm(path.join(S, 'up-cp', 'big.bin'), { force: true });
      await br.cold();
    },
    () => timeCommand('cp', [bigLocal, path.join(M, 'up-cp', 'big.bin')]),
  );
  log(`  big file: cp to the mount ${fmt(cpUp)}`);
  const Lu = path.join(base, 'big-up');
  const up = await rep(
    o.runs,
    async () => {
      await rm(path.join(S, 'up'), { recursive: true, force: true });
      mkdirSync(path.join(S, 'up'));
      await rm(Lu, { recursive: true, force: true });
      mkdirSync(Lu);
      await copyTree(bigLocal, path.join(Lu, 'big.bin'));
      await br.cold();
    },
    () => sync(path.join(M, 'up'), Lu, 'n'),
  );
  // The fixed cost of the same command with nothing to do (start-up, scan, archive).
  await br.cold();
  const upIdle = await sync(path.join(M, 'up'), Lu, 'n');
  log(`  big file: lazysync sync upload ${fmt(up)} (no-change pass of the same pair ${fmt(upIdle)})`);
  await rm(Lu, { recursive: true, force: true });
  await rm(path.join(S, 'up'), { recursive: true, force: true });
  await rm(path.join(S, 'up-cp'), { recursive: true, force: true });
  await rm(bigServer, { force: true });
  await rm(bigLocal, { force: true });

  const mibs = (s: number): string => `${(o.bigMiB / s).toFixed(0)} MiB/s`;
  const big: Section = {
    title: `Throughput: one ${o.bigMiB} MiB file at 0 ms delay`,
    intro: [
      `Median of ${o.runs} run(s), cold caches. Download: \`cp MOUNT/big.bin LOCAL/\` vs hydration by lazysync (lazy`,
      'mode, `lazysync run`; a process opens and closes the placeholder; time until the local copy is in place).',
      'Upload: `cp LOCAL/big.bin MOUNT/` vs `lazysync sync -L n` with the file new in the local folder (the whole',
      `command, start-up and scan included; the same command with nothing to do takes ${fmt(upIdle)}).`,
      'Ratio = cp time / lazysync time (throughput relative to cp). Target: at least 0.9×.',
    ],
    head: ['direction', 'rtt (measured)', 'cp', 'lazysync', 'ratio', 'target'],
    rows: [
      [
        'download (hydrate)',
        ms(rtt0),
        `${fmt(cpDown)} (${mibs(cpDown)})`,
        `${fmt(hydrate)} (${mibs(hydrate)})`,
        ratio(cpDown / hydrate),
        met(cpDown / hydrate >= 0.9),
      ],
      [
        'upload (sync)',
        ms(rtt0),
        `${fmt(cpUp)} (${mibs(cpUp)})`,
        `${fmt(up)} (${mibs(up)})`,
        ratio(cpUp / up),
        met(cpUp / up >= 0.9),
      ],
    ],
  };

  // ---- many small files
  await br.setDelay(o.smallDelay);
  const rtt = br.rtt();
  const small = path.join(base, 'small-src');
  mkdirSync(small);
  const content = randomBytes(8192);
  for (let i = 0; i < o.smallFiles; i++) writeFileSync(path.join(small, `s${i}.bin`), content);
  await copyTree(small, path.join(S, 'small'), { recursive: true });

  const cpSmallDown = await rep(
    o.slowRuns ?? o.runs,
    async () => {
      await rm(path.join(base, 'cp-small'), { recursive: true, force: true });
      await br.cold();
    },
    () => timeCommand('cp', ['-r', path.join(M, 'small'), path.join(base, 'cp-small')]),
  );
  await rm(path.join(base, 'cp-small'), { recursive: true, force: true });
  log(`  ${o.smallFiles} small files: cp -r from the mount ${fmt(cpSmallDown)}`);
  const Ls = path.join(base, 'small-down');
  const smallDown = await rep(
    o.runs,
    async () => {
      await rm(Ls, { recursive: true, force: true });
      await br.cold();
    },
    () => sync(path.join(M, 'small'), Ls, 'n'),
  );
  await rm(Ls, { recursive: true, force: true });
  log(`  ${o.smallFiles} small files: lazysync eager first sync ${fmt(smallDown)}`);
  const cpSmallUp = await rep(
    o.slowRuns ?? o.runs,
    async () => {
      await rm(path.join(S, 'small-cp'), { recursive: true, force: true });
      await br.cold();
    },
    () => timeCommand('cp', ['-r', small, path.join(M, 'small-cp')]),
  );
  log(`  ${o.smallFiles} small files: cp -r to the mount ${fmt(cpSmallUp)}`);
  const Lsu = path.join(base, 'small-up');
  const smallUp = await rep(
    o.runs,
    async () => {
      await rm(path.join(S, 'small-up'), { recursive: true, force: true });
      mkdirSync(path.join(S, 'small-up'));
      await rm(Lsu, { recursive: true, force: true });
      await copyTree(small, Lsu, { recursive: true });
      await br.cold();
    },
    () => sync(path.join(M, 'small-up'), Lsu, 'n'),
  );
  log(`  ${o.smallFiles} small files: lazysync sync upload ${fmt(smallUp)}`);
  for (const d of [path.join(S, 'small-up'), path.join(S, 'small-cp'), path.join(S, 'small'), Lsu, small])
    await rm(d, { recursive: true, force: true });

  const many: Section = {
    title: `Throughput: ${o.smallFiles} files of 8 KiB at ${o.smallDelay} ms delay`,
    intro: [
      `Median of ${o.runs} run(s) (\`cp -r\`: ${o.slowRuns ?? o.runs}), cold caches. Download: \`cp -r MOUNT/small LOCAL/\` vs \`lazysync sync -L n\` into an`,
      'empty local folder (eager first sync). Upload: `cp -r LOCAL/small MOUNT/` vs `lazysync sync -L n` with the',
      'files new in the local folder. Whole commands, start-up included. Ratio = cp time / lazysync time.',
      'Target: at least 3×.',
    ],
    head: ['direction', 'rtt (measured)', 'cp -r', 'lazysync', 'ratio', 'target'],
    rows: [
      [
        'download (eager first sync)',
        ms(rtt),
        fmt(cpSmallDown),
        fmt(smallDown),
        ratio(cpSmallDown / smallDown),
        met(cpSmallDown / smallDown >= 3),
      ],
      [
        'upload (sync)',
        ms(rtt),
        fmt(cpSmallUp),
        fmt(smallUp),
        ratio(cpSmallUp / smallUp),
        met(cpSmallUp / smallUp >= 3),
      ],
    ],
  };
  return [big, many];
}
