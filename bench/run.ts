// `npm run bench`: builds its own sshfs remote on loopback (a private sshd behind a delaying relay), measures
// lazysync beside find, rsync, unison and cp, prints the tables and writes docs/benchmarks.md.
// Never part of the tests. `--quick`: smaller trees, one run each, under 5 minutes.
// `--only scan,throughput,latency,move,prune,files,bwlimit,access,scale,idle`: just those scenarios
// (docs/benchmarks.md is then not written unless `--write` is given, and then only those scenarios' sections
// change: bench/splice.ts). `--lazysync-only`: the scan and move figures time lazysync alone (the references
// are minutes at 20 ms), to re-check it after a change.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchScan } from './sync.js';
import { benchThroughput } from './throughput.js';
import { benchLatency } from './latency.js';
import { benchMove } from './move.js';
import { benchPrune } from './prune.js';
import { benchFiles, filesSections } from './files.js';
import { benchAccess } from './access.js';
import { benchBwlimit } from './bwlimit.js';
import { benchIdle, benchScale } from './scale.js';
import { startBenchRemote, type BenchRemote } from './net.js';
import { renderSection, met, repoRoot, toolVersions, type Section } from './lib.js';
import { spliceScenario } from './splice.js';

const ALL = [
  'scan',
  'throughput',
  'latency',
  'move',
  'prune',
  'files',
  'bwlimit',
  'access',
  'scale',
  'idle',
] as const;
type Scenario = (typeof ALL)[number];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const onlyValue = onlyArg?.includes('=') ? onlyArg.split('=')[1] : onlyArg && argv[argv.indexOf(onlyArg) + 1];
// The opens-caught table (inotify vs /proc) has no target of its own to check: full mode only, not --quick.
const only = onlyValue ? (onlyValue.split(',') as Scenario[]) : ALL.filter((s) => !quick || s !== 'access');
for (const s of only)
  if (!ALL.includes(s)) throw new Error(`--only: unknown scenario ${s} (${ALL.join(', ')})`);
const write = !onlyValue || argv.includes('--write');

const log = (s: string): void => void process.stdout.write(`${s}\n`);

function machineLines(): string[] {
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  return [
    `- CPU: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores`,
    `- RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${distro}, kernel ${os.release()}`,
    `- Node ${process.version}`,
    ...toolVersions().map((v) => `- ${v}`),
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const sections: Section[] = [];
  /** Each scenario's sections and how long it took, for writing one scenario alone. */
  const ran: { name: Scenario; sections: Section[]; seconds: number }[] = [];
  const failures: string[] = [];
  const show = (ss: Section[]): void => {
    for (const s of ss) {
      sections.push(s);
      log(`\n${renderSection(s)}`);
    }
  };
  const scenario = async (name: Scenario, fn: () => Promise<Section[]>): Promise<void> => {
    if (!only.includes(name)) return;
    log(`== ${name}`);
    const t0 = performance.now();
    try {
      const ss = await fn();
      show(ss);
      ran.push({ name, sections: ss, seconds: (performance.now() - t0) / 1000 });
    } catch (e) {
      const msg = `${name}: failed: ${(e as Error).stack ?? String(e)}`;
      failures.push(msg);
      log(msg);
    }
    log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  };
  const delays = quick ? [0, 20] : [0, 5, 20];

  let br: BenchRemote | undefined;
  try {
    if (only.some((s) => ['scan', 'throughput', 'latency', 'move', 'prune', 'files'].includes(s)))
      br = await startBenchRemote(0);
    const remote = br;
    await scenario('scan', () =>
      benchScan(
        remote!,
        quick
          ? { top: 5, subdirs: 10, files: 10, runs: 1, delays }
          : {
              top: 10,
              subdirs: 100,
              files: 10,
              runs: 3,
              slowRuns: 1,
              delays,
              references: !argv.includes('--lazysync-only'),
            },
        log,
      ),
    );
    await scenario('throughput', () =>
      benchThroughput(
        remote!,
        quick
          ? { bigMiB: 64, smallFiles: 100, smallDelay: 20, runs: 1 }
          : { bigMiB: 256, smallFiles: 1000, smallDelay: 20, runs: 3, slowRuns: 1 },
        log,
      ),
    );
    await scenario('latency', () =>
      benchLatency(
        remote!,
        quick
          ? { delay: 20, changes: 10, opens: 10, treeFiles: 100 }
          : { delay: 20, changes: 30, opens: 30, treeFiles: 1000 },
        log,
      ),
    );
    await scenario('move', () =>
      benchMove(
        remote!,
        quick
          ? { files: 50, delay: 20, runs: 1, slowRuns: 1 }
          : {
              files: 1000,
              delay: 20,
              runs: 3,
              slowRuns: 1,
              references: !argv.includes('--lazysync-only'),
            },
        log,
      ),
    );
    await scenario('prune', () =>
      benchPrune(
        remote!,
        quick
          ? { versions: 200, delay: 20, runs: 1, slowRuns: 1 }
          : { versions: 2000, delay: 20, runs: 3, slowRuns: 1 },
        log,
      ),
    );
    await scenario('files', async () => {
      const o = quick
        ? { delay: 20, reads: 5, rounds: 3, preads: 20_000, treeFiles: 40, treeRuns: 1 }
        : { delay: 20, reads: 15, rounds: 7, preads: 100_000, treeFiles: 200, treeRuns: 3 };
      return filesSections(await benchFiles(remote!, o, log), o);
    });
  } finally {
    await br?.stop();
  }
  await scenario('bwlimit', async () => {
    const bw = await benchBwlimit(quick ? 8 : 32, 4, log);
    const share = bw.measured / bw.limit;
    return [
      {
        title: 'Rate limit',
        intro: [
          'A download with `--bwlimit 4M` at 0 ms delay (no relay); the transfer itself is timed, from its temp file',
          'appearing in the local folder to the file renamed into place, plus the quarter second of burst the bucket starts with.',
          'Target: within 10% of the limit.',
        ],
        head: ['limit', 'measured', 'share of the limit', 'target'],
        rows: [
          [
            `${(bw.limit / 2 ** 20).toFixed(0)} MiB/s`,
            `${(bw.measured / 2 ** 20).toFixed(2)} MiB/s`,
            `${(share * 100).toFixed(1)}%`,
            met(Math.abs(share - 1) <= 0.1),
          ],
        ],
      },
    ];
  });
  await scenario('access', async () => {
    const opens = quick ? 50 : 300;
    const samples = quick ? 10 : 30;
    const rows = await benchAccess(opens, samples, log);
    return [
      {
        title: 'Lazy mode: short opens caught, per detection mode (0 ms delay)',
        intro: [
          'Each placeholder is opened once by its own short `cat` process (about 1 ms), one after the other, with',
          '`lazysync run --interval 3600` in the background. "Caught" counts the files that became local copies.',
          'Latency: from starting the opener to the local copy being in place (300-byte file); for `proc` the',
          'opener holds the file open for 1 s, since the /proc scan cannot see shorter opens. No target: the',
          'documented behaviour is that `proc` misses short opens.',
        ],
        head: ['detection', 'opens caught', 'open -> local copy, median', 'p95'],
        rows: rows.map((a) => [
          `\`${a.mode}\``,
          `${a.caught} / ${a.opens}`,
          `${a.latencyP50Ms.toFixed(1)} ms`,
          `${a.latencyP95Ms.toFixed(1)} ms`,
        ]),
      },
    ];
  });
  await scenario('scale', () =>
    benchScale(quick ? { dirs: 20, files: 1000, runs: 1 } : { dirs: 1000, files: 1000, runs: 1 }, log),
  );
  await scenario('idle', () => benchIdle({ files: 10_000, seconds: quick ? 10 : 30 }, log));

  const took = (Date.now() - started.getTime()) / 1000;
  log(`\nbench: ${took.toFixed(0)} s${failures.length ? `, ${failures.length} scenario(s) failed` : ''}`);
  if (!write) return;
  if (onlyValue) {
    writeScenarios(ran, started, quick);
    if (failures.length) process.exitCode = 1;
    return;
  }
  const md = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${started.toISOString()} (${took.toFixed(0)} s).`,
    quick
      ? '**Quick mode**: smaller trees and one run per figure; run `npm run bench` for the full figures.'
      : '',
    '',
    '## Machine',
    '',
    ...machineLines(),
    '',
    '## Settings',
    '',
    '- The remote is a real sshfs mount (default caching, `-o reconnect`) of a folder served by a private sshd',
    '  on 127.0.0.1. sshfs connects through a delaying TCP relay (`bench/relay.ts`, its own process) that',
    '  forwards every chunk in each direction after a fixed one-way delay, so each SFTP round trip costs twice',
    '  the delay. "rtt (measured)" is the mean time of `lstat` of a missing name on the mount (20 samples),',
    '  measured right after mounting at that delay.',
    '- Cold caches: the mount is remounted before every timed run. Times are wall-clock medians; lazysync',
    '  figures are whole commands (`node bin/lazysync.js ...`, start-up included) unless the table says otherwise.',
    `- Runs per figure: ${quick ? 1 : 3}. One-way delays: ${delays.join(', ')} ms.`,
    `- Temp folders (server folder, mount point, local folders, the scale trees) under \`${os.tmpdir()}\` (\`TMPDIR\`).`,
    '',
    ...sections.map(renderSection),
    ...(failures.length
      ? ['## Failed scenarios', '', ...failures.map((f) => `- ${f.split('\n')[0]}`), '']
      : []),
    '## Analysis',
    '',
    '<!-- ANALYSIS: to be filled in by the lead: the bottleneck behind each target not met (round-trip counts,',
    'profiles, time split). -->',
    '',
    '_To be written._',
    '',
  ].join('\n');
  writeFileSync(path.join(repoRoot, 'docs', 'benchmarks.md'), md);
  log('wrote docs/benchmarks.md');
  if (failures.length) process.exitCode = 1;
}

/**
 * `--only ... --write`: each scenario's sections replace its earlier ones in docs/benchmarks.md, headed by
 * when, at which commit and on what machine they were measured; the rest of the page stays as it is.
 */
function writeScenarios(
  ran: { name: Scenario; sections: Section[]; seconds: number }[],
  started: Date,
  quick: boolean,
): void {
  const file = path.join(repoRoot, 'docs', 'benchmarks.md');
  let doc = readFileSync(file, 'utf8');
  const commit = (() => {
    try {
      const git = (...a: string[]): string =>
        execFileSync('git', a, { cwd: repoRoot, encoding: 'utf8' }).trim();
      return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' (with uncommitted changes)' : ''}`;
    } catch {
      return 'unknown';
    }
  })();
  for (const r of ran) {
    const [first, ...rest] = r.sections;
    if (first === undefined) continue;
    const when = [
      `Measured by \`npm run bench -- --only ${r.name}${quick ? ' --quick' : ''}\` on ${started.toISOString()}`,
      `(${r.seconds.toFixed(0)} s), commit ${commit}; written separately from the rest of this page. Remote, caches`,
      `and timing as in Settings above; temp folders under \`${os.tmpdir()}\`. The machine:`,
      '',
      ...machineLines(),
      '',
    ];
    const body = [{ ...first, intro: [...when, ...first.intro] }, ...rest].map(renderSection).join('\n');
    doc = spliceScenario(doc, r.name, body);
  }
  writeFileSync(file, doc);
  log(`wrote ${ran.map((r) => r.name).join(', ')} into docs/benchmarks.md`);
}

await main();
