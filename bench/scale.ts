// Scale and memory (f) and idle CPU (g), local-only: R is a plain folder on the local disk (no mount).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bin,
  cpuSeconds,
  fmt,
  median,
  met,
  ratio,
  stopChild,
  tempDir,
  timeCommand,
  timeWithRss,
  track,
  until,
  type Section,
} from './lib.js';

/** DIRS folders of FILES one-byte files, written by python3 (a few syscalls per file, no Node overhead). */
function generate(root: string, dirs: number, files: number): void {
  const py = [
    'import os, sys',
    'root, D, F = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])',
    'for d in range(D):',
    "    p = os.path.join(root, 'd%04d' % d)",
    '    os.makedirs(p)',
    '    for f in range(F):',
    "        fd = os.open(os.path.join(p, 'f%04d' % f), os.O_CREAT | os.O_WRONLY, 0o644)",
    "        os.write(fd, b'x')",
    '        os.close(fd)',
  ].join('\n');
  execFileSync('python3', ['-c', py, root, String(dirs), String(files)], { stdio: 'inherit' });
}

export interface ScaleOptions {
  dirs: number;
  files: number;
  runs: number;
}

export async function benchScale(o: ScaleOptions, log: (s: string) => void): Promise<Section[]> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'lazysync-bench-scale-'));
  const guard = tempDir(base);
  try {
    const R = path.join(base, 'R');
    const L = path.join(base, 'L');
    const n = o.dirs * o.files;
    const t0 = performance.now();
    generate(R, o.dirs, o.files);
    log(`  scale: generated ${n} files in ${o.dirs} folders in ${fmt((performance.now() - t0) / 1000)}`);
    const args = ['sync', '-r', R, '-l', L, '-L', 'y', '--log-level', 'warn'];
    const first = await timeWithRss('node', [bin, ...args]);
    log(`  scale: first lazy sync ${fmt(first.seconds)}, peak RSS ${first.peakMiB.toFixed(0)} MiB`);
    const passes: { seconds: number; peakMiB: number }[] = [];
    const finds: number[] = [];
    const statFinds: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      finds.push(await timeCommand('find', [R, L]));
      // The floor of any pass that looks at sizes and mtimes: find stat-ing every entry (plain find does not).
      statFinds.push(await timeCommand('find', [R, L, '-printf', '%s %T@\\n']));
      passes.push(await timeWithRss('node', [bin, ...args]));
    }
    const pass = median(passes.map((p) => p.seconds));
    const peak = Math.max(...passes.map((p) => p.peakMiB));
    const find = median(finds);
    const statFind = median(statFinds);
    log(
      `  scale: no-change pass ${fmt(pass)}, peak RSS ${peak.toFixed(0)} MiB; find R L ${fmt(find)}, with -printf ${fmt(statFind)}`,
    );
    return [
      {
        title: `Scale: local-only, ${n.toLocaleString('en')} files in ${o.dirs} folders`,
        intro: [
          'Both folders on the local disk (R a plain folder, no mount), warm caches. After a first lazy sync',
          `(${fmt(first.seconds)}, peak RSS ${first.peakMiB.toFixed(0)} MiB), a no-change \`lazysync sync\` pass, median of`,
          `${o.runs} run(s), peak RSS from GNU time (\`%M\`, the largest of the runs), against \`find R L\` over the`,
          'same trees. Targets: peak RSS at most 300 MB; time within 3× of find. `find -printf` (stat-ing every entry,',
          'as any pass that compares sizes and mtimes must; plain find reads only the folders) is shown beside it.',
        ],
        head: [
          'entries per side',
          'lazysync no-change',
          'find R L',
          'ratio',
          "find R L -printf '%s %T@'",
          'ratio',
          'peak RSS',
          'target (time)',
          'target (RSS)',
        ],
        rows: [
          [
            n.toLocaleString('en'),
            fmt(pass),
            fmt(find),
            ratio(pass / find),
            fmt(statFind),
            ratio(pass / statFind),
            `${peak.toFixed(0)} MiB`,
            met(pass / find <= 3),
            met(peak * 2 ** 20 <= 300e6),
          ],
        ],
      },
    ];
  } finally {
    execFileSync('rm', ['-rf', base]);
    guard.release();
  }
}

export interface IdleOptions {
  files: number;
  seconds: number;
}

export async function benchIdle(o: IdleOptions, log: (s: string) => void): Promise<Section[]> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'lazysync-bench-idle-'));
  const guard = tempDir(base);
  try {
    const R = path.join(base, 'R');
    const L = path.join(base, 'L');
    const dirs = Math.max(1, Math.round(o.files / 1000));
    generate(R, dirs, Math.round(o.files / dirs));
    const child = track(
      spawn(
        process.execPath,
        [bin, 'run', '-r', R, '-l', L, '-L', 'y', '--interval', '3600', '--log-level', 'warn'],
        { stdio: 'ignore' },
      ),
    );
    try {
      const count = (): number => {
        try {
          return readdirSync(L)
            .filter((d) => d.startsWith('d'))
            .reduce((s, d) => s + readdirSync(path.join(L, d)).length, 0);
        } catch {
          return 0;
        }
      };
      if (!(await until(() => count() >= o.files, 300_000, 200)))
        throw new Error('idle: first pass did not finish');
      // Settled: less than 20 ms of CPU over a second, twice in a row.
      let quiet = 0;
      for (let i = 0; i < 60 && quiet < 2; i++) {
        const c0 = cpuSeconds(child.pid!);
        await new Promise((r) => setTimeout(r, 1000));
        quiet = cpuSeconds(child.pid!) - c0 < 0.02 ? quiet + 1 : 0;
      }
      const c0 = cpuSeconds(child.pid!);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, o.seconds * 1000));
      const cpu = cpuSeconds(child.pid!) - c0;
      const wall = (performance.now() - t0) / 1000;
      const pct = (cpu / wall) * 100;
      log(`  idle: ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(1)} s = ${pct.toFixed(2)}%`);
      return [
        {
          title: `Idle CPU: \`lazysync run\` with ${o.files.toLocaleString('en')} files, between scans`,
          intro: [
            'Local-only pair, lazy, `--interval 3600`; after the first pass has settled, utime + stime of the',
            `process from /proc/PID/stat over ${o.seconds} s. Target: below 1%.`,
          ],
          head: ['files', 'CPU time', 'wall time', 'CPU share', 'target'],
          rows: [
            [
              o.files.toLocaleString('en'),
              `${(cpu * 1000).toFixed(0)} ms`,
              `${wall.toFixed(1)} s`,
              `${pct.toFixed(2)}%`,
              met(pct < 1),
            ],
          ],
        },
      ];
    } finally {
      await stopChild(child);
    }
  } finally {
    execFileSync('rm', ['-rf', base]);
    guard.release();
  }
}
