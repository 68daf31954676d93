// `npm run bench`: builds its own sshfs remote on loopback, measures, prints, and writes docs/benchmarks.md.
// Never part of the tests. `--quick` uses smaller trees and one run each.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchSync } from './sync.js';
import { fmt, machine, repoRoot } from './lib.js';

const quick = process.argv.includes('--quick');
const log = (s: string): void => void process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const opts = quick ? { dirs: 20, filesPerDir: 50, runs: 1 } : { dirs: 100, filesPerDir: 30, runs: 3 };
  log(`== whole-tree sync: ${opts.dirs * opts.filesPerDir} files, ${opts.runs} run(s) each, median`);
  const rows = await benchSync(opts, log);

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
  ].join('\n');
  writeFileSync(path.join(repoRoot, 'docs', 'benchmarks.md'), md);
  log(`wrote docs/benchmarks.md`);
}

await main();
