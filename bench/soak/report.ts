// The soak's report: the JSON file with every figure of the run, the summary on stdout, and the evidence
// (both sides and the daemon's log) kept in a temp folder when the run failed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonDir } from '../../test/fixture/daemon.js';
import type { Remote } from '../../test/fixture/remote.js';
import { undecorated, type EndChecks, type LedgerResult } from './checks.js';
import type { RunContext, StatusMonitor } from './daemon.js';
import type { Driver } from './driver.js';
import type { FaultRecord } from './faults.js';
import type { MemoryVerdict, MemoryWatch } from './memory.js';
import type { SoakOptions } from './options.js';

export interface ReportInput {
  options: SoakOptions;
  ctx: RunContext;
  driver: Driver;
  faults: FaultRecord[];
  monitor: StatusMonitor;
  memoryWatch: MemoryWatch;
  checks: EndChecks;
  memory: MemoryVerdict;
  /** When the changes stopped, in ms since the start. */
  changesEnd: number;
}

export function buildReport(x: ReportInput) {
  const { ctx, checks } = x;
  const found = [...checks.index.values()].flat();
  const versions = found.filter((f) => f.where === 'versions').length;
  const conflicts = found.filter(
    (f) => f.where !== 'versions' && f.side === 'R' && undecorated(f.rel) !== f.rel,
  ).length;
  const logErrors = readFileSync(ctx.dir.logFile, 'utf8')
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l)).length;
  const led = checks.ledger;
  return {
    date: new Date().toISOString(),
    minutes: x.options.minutes,
    paceMs: x.options.paceMs,
    seed: x.options.seed,
    operations: x.driver.opCounts,
    skipped: x.driver.skipped,
    faults: x.faults,
    daemonStarts: ctx.daemonStarts.map((t) => `${(t / 1000).toFixed(0)}s`),
    statesSeen: x.monitor.statesSeen,
    maxProblems: x.monitor.maxProblems,
    convergence: Object.fromEntries(
      Object.entries(checks.convergence).map(([k, v]) => [k, { entries: v.entries, diffs: v.diffs.length }]),
    ),
    versionsFiles: versions,
    conflictCopies: conflicts,
    tempFilesLeft: checks.tmp.length,
    ledger: { ...led, displaced: led.displaced.length, lost: led.lost.length },
    displaced: led.displaced,
    memory: x.memory.text,
    memoryFigures: x.memory.figures,
    memoryRules: x.options.memoryRules,
    changesEndS: Math.round(x.changesEnd / 1000),
    memorySeries: x.memoryWatch.rss.map(
      (m) => `${(m.t / 1000).toFixed(0)}s pid ${m.pid} ${(m.rssKiB / 1024).toFixed(1)}`,
    ),
    memoryProbe: x.memoryWatch.probeSamples(),
    memoryProbeDir: x.options.probeDir,
    logErrorLines: logErrors,
    notes: ctx.notes,
    failures: ctx.failures,
  };
}

export function printSummary(s: Record<string, unknown>, led: LedgerResult, faults: FaultRecord[]): void {
  const show = (k: string) => console.log(`${k}: ${JSON.stringify(s[k])}`);
  console.log('\n==== soak summary ====');
  for (const k of ['minutes', 'seed', 'operations', 'skipped', 'daemonStarts', 'statesSeen', 'maxProblems']) {
    show(k);
  }
  for (const f of faults) console.log(`fault at ${f.at} ${f.kind}: ${f.outcome}`);
  for (const k of ['convergence', 'versionsFiles', 'conflictCopies', 'tempFilesLeft', 'ledger', 'memory'])
    show(k);
  show('logErrorLines');
  show('notes');
  if (led.displaced.length)
    console.log(`displaced (kept, not at their path):\n  ${led.displaced.join('\n  ')}`);
  const failures = s.failures as string[];
  console.log(failures.length ? `FAILED:\n${failures.join('\n')}` : 'PASSED');
}

/** Copies both sides of every pair and the daemon's log to a temp folder that is kept, for a failed run. */
export function keepEvidence(remote: Remote, dir: DaemonDir): void {
  const keep = join(tmpdir(), `lazysync-soak-evidence-${Date.now()}`);
  try {
    execFileSync('mkdir', ['-p', keep]);
    for (const d of ['server', 'local-eager', 'local-lazy']) {
      execFileSync('cp', ['-a', join(remote.base, d), keep], { stdio: 'ignore' });
    }
    execFileSync('cp', ['-a', dir.logFile, keep], { stdio: 'ignore' });
    console.error(`evidence kept in ${keep}`);
  } catch (e) {
    console.error(`could not keep evidence in ${keep}: ${(e as Error).message}`);
  }
}
