// `npm run bench`: builds its own sshfs remote on loopback, measures, prints, and writes docs/benchmarks.md.
// Never part of the tests. `--quick` uses smaller trees and one run each.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchSync } from './sync.js';
import { benchAccess } from './access.js';
import { benchBwlimit } from './bwlimit.js';
import { fmt, machine, repoRoot } from './lib.js';

const quick = process.argv.includes('--quick');
const log = (s: string): void => void process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const opts = quick ? { dirs: 20, filesPerDir: 50, runs: 1 } : { dirs: 100, filesPerDir: 30, runs: 3 };
  log(`== whole-tree sync: ${opts.dirs * opts.filesPerDir} files, ${opts.runs} run(s) each, median`);
  const rows = await benchSync(opts, log);
  const opens = quick ? 100 : 500;
  const samples = quick ? 10 : 30;
  log(`== lazy mode: ${opens} short opens per detection mode, ${samples} latency samples`);
  const access = await benchAccess(opens, samples, log);
  log('== --bwlimit');
  const bw = await benchBwlimit(quick ? 8 : 32, 4, log);

  const md = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${started}.`,
    '',
    `Machine: ${machine()}.`,
    '',
    'The remote is a real sshfs mount of a folder served by a private sshd on 127.0.0.1 (no added latency),',
    'default sshfs caching, remounted before every run so every run starts with cold caches. Figures are medians.',
    '',
    `## Whole-tree sync (${opts.dirs * opts.filesPerDir} small files in ${opts.dirs} folders, ${opts.runs} run(s))`,
    '',
    '| what | time | ratio |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${fmt(r.seconds)} | ${r.ratio ?? 'reference'} |`),
    '',
    `## Lazy mode: opens caught and time to a local copy`,
    '',
    `Each placeholder is opened once by its own short \`cat\` process (about 1 ms), one after the other, with`,
    '`lazysync run --interval 3600` in the background (so no pass hydrates anything). "Caught" counts the',
    'files that became local copies. Latency is from starting the opener to the local copy being in place',
    '(polled every millisecond) for a 300-byte file; for `proc` the opener holds the file open for 1 s,',
    'since the /proc scan cannot see shorter opens.',
    '',
    '| detection | opens caught | open -> local copy, median | p95 |',
    '|---|---|---|---|',
    ...access.map(
      (a) =>
        `| \`${a.mode}\` | ${a.caught} / ${a.opens} | ${a.latencyP50Ms.toFixed(1)} ms | ${a.latencyP95Ms.toFixed(1)} ms |`,
    ),
    '',
    '## Rate limit',
    '',
    'A download with `--bwlimit 4M`, timed against the same download without a limit (the difference is what',
    'the limit added; the bucket starts with a quarter second of burst).',
    '',
    '| limit | measured | share of the limit |',
    '|---|---|---|',
    `| ${(bw.limit / 2 ** 20).toFixed(0)} MiB/s | ${(bw.measured / 2 ** 20).toFixed(2)} MiB/s | ${((bw.measured / bw.limit) * 100).toFixed(1)}% |`,
    '',
  ].join('\n');
  writeFileSync(path.join(repoRoot, 'docs', 'benchmarks.md'), md);
  log(`wrote docs/benchmarks.md`);
}

await main();
