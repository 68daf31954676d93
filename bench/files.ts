// File placeholders (`lazysync run --placeholders file`) at a one-way delay (20 ms): the first read of a
// small placeholder against the same read straight through the mount, what each read of a hydrated file
// costs against a plain local file, and git status, cp -r and tar c over a tree of placeholders
// (bench/files-tree.ts). The local folder is an ext4 image on a loop device; the placeholder supervisors
// live in a runtime folder of this run and are stopped by their PIDs at the end.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeLoopFs, type LoopFs } from '../test/fixture/loopfs.js';
import { placeholderAttr, stopSupervisors } from '../test/fixture/file-placeholders.js';
import type { BenchRemote } from './net.js';
import {
  bin,
  median,
  met,
  ms,
  percentile,
  ratio,
  stopChild,
  tempDir,
  track,
  until,
  type Section,
} from './lib.js';
import { quietWire, run } from './timing.js';
import {
  TREE_COMMANDS,
  filesBelow,
  makeRepo,
  treeSample,
  treeSection,
  type TreeSample,
} from './files-tree.js';

export interface FilesOptions {
  /** One-way delay of every measurement. */
  delay: number;
  /** First reads timed, each of a fresh 4 KiB placeholder, and as many straight through the mount. */
  reads: number;
  /** Rounds of reads of the hydrated file and of the ordinary ones (a process each), and preads per round. */
  rounds: number;
  preads: number;
  /** Files in the repository's working tree, and timed runs of each tree command (each on a fresh copy). */
  treeFiles: number;
  treeRuns: number;
}

/** One first read, timed inside the reader process. */
export interface FirstRead {
  openMs: number;
  firstByteMs: number;
  /** What the relay saw meanwhile: chunks sshfs sent, and the busy time in round trips. */
  sends: number;
  wireRtts: number;
}

/** Reads of one local file, timed inside the reader process, in µs each. */
export interface LocalReads {
  preadUs: number;
  openReadCloseUs: number;
}

/** The hydrated placeholder, a file of the pair that never was one, and a file outside the pair. */
const LOCAL_FILES = ['hydrated', 'synced', 'plain'] as const;
type LocalFile = (typeof LOCAL_FILES)[number];

export interface FilesResult {
  rtt: number;
  placeholder: FirstRead[];
  direct: FirstRead[];
  reads: Record<LocalFile, LocalReads[]>;
  trees: TreeSample[];
}

// The reader: open, one 4 KiB read, timed from open() to the data; prints the times and what it read.
const FIRST_READ = `
const fs = require('fs');
const b = Buffer.alloc(4096);
const t0 = process.hrtime.bigint();
const fd = fs.openSync(process.argv[1], 'r');
const t1 = process.hrtime.bigint();
const n = fs.readSync(fd, b, 0, 4096, 0);
const t2 = process.hrtime.bigint();
fs.closeSync(fd);
const ms = (t) => Number(t - t0) / 1e6;
process.stdout.write(JSON.stringify({ openMs: ms(t1), firstByteMs: ms(t2), data: b.subarray(0, n).toString('base64') }));
`;

// 4 KiB preads over the file on one descriptor, then open + 4 KiB read + close; each after a warm-up.
const LOCAL_READS = `
const fs = require('fs');
const file = process.argv[1], n = Number(process.argv[2]);
const b = Buffer.alloc(4096);
const pages = Math.max(1, Math.floor(fs.statSync(file).size / 4096));
const each = (k, f) => { const t0 = process.hrtime.bigint(); for (let i = 0; i < k; i++) f(i); return Number(process.hrtime.bigint() - t0) / 1e3 / k; };
const fd = fs.openSync(file, 'r');
const pread = (i) => fs.readSync(fd, b, 0, 4096, (i % pages) * 4096);
each(n, pread);
const preadUs = each(n, pread);
fs.closeSync(fd);
const openRead = () => { const f = fs.openSync(file, 'r'); fs.readSync(f, b, 0, 4096, 0); fs.closeSync(f); };
each(n / 10, openRead);
const openReadCloseUs = each(n / 10, openRead);
process.stdout.write(JSON.stringify({ preadUs, openReadCloseUs }));
`;

async function probe<T>(script: string, args: string[]): Promise<T> {
  const r = await run(process.execPath, ['-e', script, ...args]);
  if (r.code !== 0) throw new Error(`reader of ${args[0]} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

export async function benchFiles(
  br: BenchRemote,
  o: FilesOptions,
  log: (s: string) => void,
): Promise<FilesResult> {
  const { remote } = br;
  // The pair's remote folder, and beside it (not synced) the copies read straight through the mount.
  const S = path.join(remote.serverDir, 'files');
  const SD = path.join(remote.serverDir, 'files-direct');
  const R = path.join(remote.mountDir, 'files');
  const RD = path.join(remote.mountDir, 'files-direct');
  const small = (i: number): string => `first/f${i}.bin`;
  for (let i = 0; i < o.reads; i++)
    for (const root of [S, SD]) {
      fs.mkdirSync(path.join(root, 'first'), { recursive: true });
      fs.writeFileSync(path.join(root, small(i)), randomBytes(4096));
    }
  const hot = randomBytes(1 << 20);
  fs.mkdirSync(path.join(S, 'hot'));
  fs.writeFileSync(path.join(S, 'hot', 'h.bin'), hot);
  const proto = path.join(remote.base, 'files-repo');
  makeRepo(proto, o.treeFiles);
  const treeNames = TREE_COMMANDS.flatMap((c) => Array.from({ length: o.treeRuns }, (_, k) => `${c}-${k}`));
  for (const root of [S, SD])
    for (const n of treeNames)
      fs.cpSync(proto, path.join(root, 'trees', n), { recursive: true, preserveTimestamps: true });

  const fsys: LoopFs = makeLoopFs('ext4');
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-bench-run-'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-bench-files-'));
  const outTemp = tempDir(out);
  const L = path.join(fsys.path, 'files');
  const logFile = path.join(remote.base, 'files-daemon.log');
  let daemon: ReturnType<typeof spawn> | undefined;
  try {
    await br.setDelay(o.delay);
    const rtt = br.rtt();
    log(`  files: delay ${o.delay} ms, rtt ${rtt.toFixed(1)} ms; ext4 image at ${fsys.path}`);
    const flags = ['--placeholders', 'file', '--interval', '3600', '--log-file', logFile];
    const socket = path.join(runtime, 'daemon.sock');
    daemon = track(
      spawn(process.execPath, [bin, 'run', '-r', R, '-l', L, ...flags, '--socket', socket], {
        stdio: 'ignore',
        env: { ...process.env, LAZYSYNC_RUNTIME_DIR: runtime },
      }),
    );
    const exited = (): boolean => daemon?.exitCode !== null || daemon.signalCode !== null;
    const everything = await filesBelow(S);
    const t0 = performance.now();
    if (!(await until(() => exited() || everything.every((f) => isPlaceholder(L, f)), 300_000, 250)))
      throw new Error('the file placeholders did not appear in 5 minutes');
    if (exited())
      throw new Error(`lazysync run exited (${daemon.exitCode ?? daemon.signalCode}); see ${logFile}`);
    log(`  ${everything.length} file placeholders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await quietWire(br, o.delay);

    const placeholder: FirstRead[] = [];
    const direct: FirstRead[] = [];
    for (let i = 0; i < o.reads; i++) {
      const order = i % 2 === 0 ? (['ours', 'direct'] as const) : (['direct', 'ours'] as const);
      for (const which of order) {
        // Both folders listed just before (as `ls` would): neither read pays a lookup the other skips.
        fs.readdirSync(path.join(R, 'first'));
        fs.readdirSync(path.join(RD, 'first'));
        await quietWire(br, o.delay);
        const [file, truth] =
          which === 'ours'
            ? [path.join(L, small(i)), path.join(S, small(i))]
            : [path.join(RD, small(i)), path.join(SD, small(i))];
        const r = await probe<FirstRead & { data: string }>(FIRST_READ, [file]);
        const w = await br.wire();
        if (!Buffer.from(r.data, 'base64').equals(fs.readFileSync(truth)))
          throw new Error(`${file}: the first read did not get the remote's content`);
        const { openMs, firstByteMs } = r;
        (which === 'ours' ? placeholder : direct).push({
          openMs,
          firstByteMs,
          sends: w.up,
          wireRtts: w.busyMs / (2 * o.delay),
        });
        log(`  first read ${which} ${i}: open ${ms(openMs)}, first byte ${ms(firstByteMs)}, ${w.up} sends`);
      }
    }

    // The hot file hydrated by one read; an ordinary file of the pair made locally (uploaded by the
    // daemon); a plain file on the same image outside the pair, which nothing watches.
    const files: Record<LocalFile, string> = {
      hydrated: path.join(L, 'hot', 'h.bin'),
      synced: path.join(L, 'hot', 'local.bin'),
      plain: path.join(fsys.path, 'plain', 'h.bin'),
    };
    fs.mkdirSync(path.dirname(files.plain));
    fs.writeFileSync(files.plain, hot);
    fs.writeFileSync(files.synced, hot);
    if (!fs.readFileSync(files.hydrated).equals(hot)) throw new Error(`${files.hydrated}: wrong content`);
    const uploaded = (): boolean =>
      fs.statSync(path.join(S, 'hot', 'local.bin'), { throwIfNoEntry: false })?.size === hot.length;
    if (!(await until(() => placeholderAttr(files.hydrated) === undefined && uploaded(), 60_000, 10)))
      throw new Error(
        `${files.hydrated} still a placeholder, or ${files.synced} not uploaded, after a minute`,
      );
    await quietWire(br, o.delay);
    const reads: Record<LocalFile, LocalReads[]> = { hydrated: [], synced: [], plain: [] };
    for (let k = 0; k < o.rounds; k++) {
      const order = LOCAL_FILES.map((_, i) => LOCAL_FILES[(i + k) % LOCAL_FILES.length] as LocalFile);
      for (const f of order)
        reads[f].push(await probe<LocalReads>(LOCAL_READS, [files[f], String(o.preads)]));
    }
    for (const f of LOCAL_FILES) {
      const m = (k: keyof LocalReads): string => median(reads[f].map((x) => x[k])).toFixed(2);
      log(`  ${f}: 4 KiB pread ${m('preadUs')} µs, open + read + close ${m('openReadCloseUs')} µs`);
    }

    const trees: TreeSample[] = [];
    const world = {
      br,
      delay: o.delay,
      rtt,
      serverTrees: path.join(S, 'trees'),
      serverDirect: path.join(SD, 'trees'),
      localTrees: path.join(L, 'trees'),
      mountDirect: path.join(RD, 'trees'),
      relTrees: 'trees',
      logFile,
      out,
    };
    for (let k = 0; k < o.treeRuns; k++)
      for (const cmd of TREE_COMMANDS) {
        const s = await treeSample(world, cmd, `${cmd}-${k}`, log);
        log(`  ${cmd}-${k}: fetched ${s.fetched} of ${s.files}, again ${s.fetchedAgain}; ${s.check}`);
        trees.push(s);
      }
    if (exited())
      throw new Error(`lazysync run exited (${daemon.exitCode ?? daemon.signalCode}); see ${logFile}`);
    return { rtt, placeholder, direct, reads, trees };
  } finally {
    if (daemon !== undefined) await stopChild(daemon);
    await stopSupervisors(runtime);
    await fsys.close();
    fs.rmSync(runtime, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
    outTemp.release();
  }
}

function isPlaceholder(local: string, rel: string): boolean {
  try {
    return placeholderAttr(path.join(local, rel)) !== undefined;
  } catch {
    return false;
  }
}

/** The three tables: the first read, reads of a hydrated file, and the tree commands. */
export function filesSections(r: FilesResult, o: FilesOptions): Section[] {
  const rtt = r.rtt;
  const firstRow = (what: string, xs: FirstRead[], target: string): string[] => {
    const fb = xs.map((x) => x.firstByteMs);
    return [
      what,
      String(xs.length),
      ms(rtt),
      ms(median(xs.map((x) => x.openMs))),
      ms(median(fb)),
      ms(percentile(fb, 95)),
      (median(fb) / rtt).toFixed(1),
      median(xs.map((x) => x.wireRtts)).toFixed(1),
      String(median(xs.map((x) => x.sends))),
      target,
    ];
  };
  const over =
    (median(r.placeholder.map((x) => x.firstByteMs)) - median(r.direct.map((x) => x.firstByteMs))) / rtt;
  const local = (f: LocalFile, k: keyof LocalReads): number => median(r.reads[f].map((x) => x[k]));
  const us = (x: number): string => `${x.toFixed(2)} µs`;
  const share = (f: LocalFile, k: keyof LocalReads): number => local('hydrated', k) / local(f, k);
  const shown: Record<LocalFile, string> = {
    hydrated: 'hydrated placeholder',
    synced: 'ordinary file of the pair (made locally)',
    plain: 'plain file outside the pair',
  };
  return [
    {
      title: `File placeholders: first read at ${o.delay} ms delay`,
      intro: [
        '`lazysync run --placeholders file --interval 3600`, the local folder on a fresh ext4 image on a loop',
        'device, the remote the sshfs mount of Settings through the relay. Each sample reads a fresh 4 KiB file',
        'once in its own reader process (node: open, one 4 KiB read), timed inside it from `open()` to the data',
        '(checked against the server); the reference reads another fresh file of the same size straight through',
        'the mount (`R/...`), alternately before and after. Both folders are listed through the mount just before',
        'each read (as `ls` would), so neither read pays a lookup the other\'s cache answers. "On the wire": the',
        'relay\'s busy time meanwhile in round trips; "sends": chunks sshfs sent (about one per request).',
        'Target: the first read of a placeholder within 2 round trips of the direct read.',
      ],
      head: [
        'read of a fresh 4 KiB file',
        'samples',
        'rtt (measured)',
        '`open()` returns',
        'open -> first byte',
        'p95',
        'round trips',
        'on the wire',
        'sends',
        'target',
      ],
      rows: [
        firstRow(
          'file placeholder `L/...`',
          r.placeholder,
          `${over >= 0 ? '+' : ''}${over.toFixed(1)} rtt over direct: ${met(over <= 2)}`,
        ),
        firstRow('straight through the mount `R/...`', r.direct, '-'),
      ],
    },
    {
      title: 'File placeholders: reads of a hydrated file',
      intro: [
        'A 1 MiB file that was a placeholder, hydrated by one read, against a file of the same content made in the',
        'local folder (uploaded by the daemon, never a placeholder) and a plain one on the same image outside the',
        'pair, which nothing watches; all in the page cache. Each round runs one node process per file:',
        `${o.preads} 4 KiB preads cycling over the file on one descriptor, then ${o.preads / 10} times open + 4 KiB read + close,`,
        `each after as many untimed; ${o.rounds} rounds, the order of the files rotating; medians of the rounds.`,
        'Target: no measurable extra cost, taken as the hydrated file within 10% of the ordinary one (any local',
        "file of a pair pays for the change watch on the pair's folders; the plain file shows what that costs).",
      ],
      head: ['file', 'rounds', '4 KiB pread', 'open + 4 KiB read + close', 'target'],
      rows: [
        ...LOCAL_FILES.map((f) => [
          shown[f],
          String(r.reads[f].length),
          us(local(f, 'preadUs')),
          us(local(f, 'openReadCloseUs')),
          '-',
        ]),
        ...(['synced', 'plain'] as const).map((f) => [
          `hydrated / ${f === 'plain' ? 'plain' : 'ordinary'}`,
          '',
          ratio(share(f, 'preadUs')),
          ratio(share(f, 'openReadCloseUs')),
          f === 'synced' ? met(share(f, 'preadUs') <= 1.1 && share(f, 'openReadCloseUs') <= 1.1) : '-',
        ]),
      ],
    },
    treeSection(r.trees, o.treeFiles, rtt),
  ];
}
