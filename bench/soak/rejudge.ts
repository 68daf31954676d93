// Judges a soak report's memory series again (e.g. with other rules, or a report of an older soak):
//   node dist/bench/soak/rejudge.js REPORT.json [--memory-warmup MIN] [--memory-min-span MIN]
import { readFileSync } from 'node:fs';
import { DEFAULT_RULES, judgeMemory, type ProbeSample, type RssSample } from './memory.js';

interface Report {
  minutes: number;
  daemonStarts: string[];
  changesEndS?: number;
  memorySeries: string[];
  memoryProbe: ProbeSample[];
}

function main(): number {
  const args = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const file = args[0];
  if (file === undefined || file.startsWith('--')) {
    console.error(
      'usage: node dist/bench/soak/rejudge.js REPORT.json [--memory-warmup MIN] [--memory-min-span MIN]',
    );
    return 2;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  // "123s pid 4567 91.2" (MiB), as the soak writes it
  const rss: RssSample[] = report.memorySeries.map((line) => {
    const [t, , pid, mib] = line.split(' ');
    return { t: parseInt(t ?? '0', 10) * 1000, pid: Number(pid), rssKiB: Number(mib) * 1024 };
  });
  const last = rss[rss.length - 1];
  if (last === undefined) {
    console.error('no memory series in the report');
    return 2;
  }
  const start = parseInt(report.daemonStarts[report.daemonStarts.length - 1] ?? '0', 10) * 1000;
  const until = (report.changesEndS ?? report.minutes * 60) * 1000;
  const rules = {
    ...DEFAULT_RULES,
    warmupMs: (opt('--memory-warmup') ?? DEFAULT_RULES.warmupMs / 60_000) * 60_000,
    minSpanMs: (opt('--memory-min-span') ?? DEFAULT_RULES.minSpanMs / 60_000) * 60_000,
  };
  const v = judgeMemory(rss, report.memoryProbe, last.pid, start, until, rules);
  console.log(v.text);
  console.log(JSON.stringify(v.figures));
  console.log(!v.judged ? 'NOT JUDGED' : v.grew ? 'GREW' : 'FLAT');
  return v.grew ? 1 : 0;
}

process.exitCode = main();
