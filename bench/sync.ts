// Remote scan (a) and lazy first sync (b): an unchanged tree on the mount, cold sshfs caches (remounted before
// every run), at each one-way delay: `find -printf`, `rsync -an` into an identical local copy, a no-change
// `unison` run, lazysync's no-change pass, and lazysync's first sync in lazy mode (placeholders).
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { BenchRemote } from './net.js';
import { bin, fmt, median, met, ms, ratio, timeCommand, type Section } from './lib.js';

export interface ScanOptions {
  /** Top-level folders; each holds `subdirs` folders of `files` files. */
  top: number;
  subdirs: number;
  files: number;
  runs: number;
  /** Runs of unison at a delay above 0 (minutes per run at 20 ms on 10,000 files); default `runs`. */
  slowRuns?: number;
  /** False to time lazysync only (find, rsync and unison are NaN): to re-check lazysync after a change. */
  references?: boolean;
  delays: number[];
}

/** Writes TOP x SUBDIRS folders of FILES small files each (sizes 40 B .. 8 KiB), directly on local disk. */
export function makeTree(root: string, o: { top: number; subdirs: number; files: number }): number {
  let n = 0;
  for (let t = 0; t < o.top; t++)
    for (let d = 0; d < o.subdirs; d++) {
      const dir = path.join(root, `a${String(t).padStart(2, '0')}`, `d${String(d).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < o.files; f++, n++)
        writeFileSync(path.join(dir, `f${f}.txt`), `file ${t}/${d}/${f}\n`.repeat(1 + ((n * 37) % 400)));
    }
  return n;
}

interface DelayRow {
  delay: number;
  rtt: number;
  find: number;
  rsync: number;
  unison: number;
  noChange: number;
  first: number;
}

export async function benchScan(
  br: BenchRemote,
  o: ScanOptions,
  log: (s: string) => void,
): Promise<Section[]> {
  const { remote } = br;
  const server = path.join(remote.serverDir, 'x');
  const n = makeTree(server, o);
  const dirs = o.top * o.subdirs;
  const R = path.join(remote.mountDir, 'x');
  const L = path.join(remote.base, 'scan-local');
  const L2 = path.join(remote.base, 'scan-first');
  const mirror = path.join(remote.base, 'scan-mirror');
  const home = path.join(remote.base, 'home');
  mkdirSync(path.join(home, 'unison'), { recursive: true });
  const unisonEnv = { ...process.env, HOME: home, UNISON: path.join(home, 'unison') };
  const sync = (local: string): Promise<number> =>
    timeCommand('node', [bin, 'sync', '-r', R, '-l', local, '-L', 'y', '--log-level', 'warn']);
  const unison = (): Promise<number> =>
    timeCommand(
      'unison',
      [R, mirror, '-batch', '-silent', '-times', '-ignoreinodenumbers', '-confirmbigdel=false'],
      unisonEnv,
    );

  // Set-up at the current delay: lazysync's first sync (writes R/.lazysync), an identical local copy of
  // the tree (marker included) for rsync and unison, and unison's archive from a first run.
  log(`scan: ${n} files in ${dirs} folders; set-up`);
  await sync(L);
  const refs = o.references !== false;
  if (refs) {
    await timeCommand('rsync', ['-a', `${server}/`, `${mirror}/`]);
    await unison();
  }

  const rows: DelayRow[] = [];
  for (const delay of o.delays) {
    await br.setDelay(delay);
    const rtt = br.rtt();
    const rep = async (
      what: string,
      before: () => Promise<void>,
      run: () => Promise<number>,
      runs = o.runs,
    ) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        await before();
        await br.cold();
        times.push(await run());
      }
      const m = median(times);
      log(`  delay ${delay} ms (rtt ${ms(rtt)}): ${what}: ${fmt(m)} [${times.map(fmt).join(', ')}]`);
      return m;
    };
    const nothing = async (): Promise<void> => undefined;
    const noChange = await rep('lazysync no-change pass', nothing, () => sync(L));
    const first = await rep(
      'lazysync first sync, lazy',
      () => rm(L2, { recursive: true, force: true }),
      () => sync(L2),
    );
    const find = refs
      ? await rep('find -printf', nothing, () => timeCommand('find', [R, '-printf', '%s %T@\\n']))
      : NaN;
    const rsync = refs
      ? await rep('rsync -an', nothing, () => timeCommand('rsync', ['-an', `${R}/`, `${mirror}/`]))
      : NaN;
    const uni = refs
      ? await rep('unison, no change', nothing, unison, delay > 0 ? (o.slowRuns ?? o.runs) : o.runs)
      : NaN;
    rows.push({ delay, rtt, find, rsync, unison: uni, noChange, first });
  }
  await rm(L2, { recursive: true, force: true });

  const target = Math.max(...o.delays);
  const scan: Section = {
    title: `Remote scan: unchanged tree, cold caches (${n} files in ${dirs} folders)`,
    intro: [
      `Median of ${o.runs} run(s)${o.slowRuns !== undefined && o.slowRuns !== o.runs ? ` (unison at a delay above 0: ${o.slowRuns} run(s), minutes each)` : ''}; the mount is remounted before every run (cold sshfs and kernel caches; default`,
      'sshfs caching otherwise). `find -printf "%s %T@\\n"` over the mount; `rsync -an MOUNT/ COPY/` into an identical',
      'local copy; `unison MOUNT COPY -batch -times -ignoreinodenumbers` with an archive from a previous run',
      '(`-ignoreinodenumbers`: sshfs inode numbers change across mounts, which would make unison re-read every',
      'file); `lazysync sync -L y` after a first sync (nothing to do). "×" = the other tool\'s time / lazysync\'s.',
      `Target: at ${target} ms one-way delay, lazysync at least 5× faster than \`rsync -an\` and \`unison\`.`,
    ],
    head: [
      'delay (one way)',
      'rtt (measured)',
      'find',
      'rsync -an',
      'unison',
      'lazysync no-change',
      'vs find',
      'vs rsync',
      'vs unison',
      'target',
    ],
    rows: rows.map((r) => [
      `${r.delay} ms`,
      ms(r.rtt),
      fmt(r.find),
      fmt(r.rsync),
      fmt(r.unison),
      fmt(r.noChange),
      ratio(r.find / r.noChange),
      ratio(r.rsync / r.noChange),
      ratio(r.unison / r.noChange),
      r.delay === target ? met(r.rsync / r.noChange >= 5 && r.unison / r.noChange >= 5) : '-',
    ]),
  };
  const first: Section = {
    title: `First sync in lazy mode (${n} placeholders)`,
    intro: [
      `\`lazysync sync -L y\` into an empty local folder (placeholders only, nothing read remotely), median of ${o.runs}`,
      "run(s), cold caches, against lazysync's own no-change pass over the same tree (the remote scan alone).",
      'Target: within 2× of the no-change pass.',
    ],
    head: ['delay (one way)', 'rtt (measured)', 'first sync', 'no-change pass', 'ratio', 'target'],
    rows: rows.map((r) => [
      `${r.delay} ms`,
      ms(r.rtt),
      fmt(r.first),
      fmt(r.noChange),
      ratio(r.first / r.noChange),
      met(r.first / r.noChange <= 2),
    ]),
  };
  return [scan, first];
}
