// `lazysync sync`: one pass, a summary on stdout, exit 0 (done), 1 (problems, unavailable, waiting). The
// engine (SQLite and all) loads only when it runs.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../../core/paths.js';
import { pairConfigFrom, type PairConfig } from '../../config.js';
import { hasRetention } from '../../core/retention.js';
import { retentionOf } from '../../retention-options.js';
import { describeCounts } from '../../engine/exec-context.js';
import type { Pair, PassOutcome } from '../../engine/pair.js';
import { createLogger } from '../../log.js';
import type { RawOptions } from '../../pair-options.js';
import { subcommand, type SetCode } from '../command.js';
import { CompareBar } from '../compare-progress.js';
import { addPairFlags } from '../pair-flags.js';

export function register(program: Command, setCode: SetCode): void {
  addPairFlags(subcommand(program, 'sync', 'run one reconciliation pass, then exit'), 'sync').action(
    async (opts: RawOptions) => setCode(await syncCommand(opts)),
  );
}

export async function syncCommand(opts: RawOptions): Promise<number> {
  const cfg = pairConfigFrom(opts, true);
  const { Pair } = await import('../../engine/pair.js');
  // Comparing much (a first sync's files that agree in size and mtime second) shows a bar on a terminal;
  // log lines go past it.
  const bar = process.stderr.isTTY ? new CompareBar(process.stderr) : undefined;
  const log = createLogger({
    level: cfg.logLevel,
    ...(cfg.logFile !== undefined ? { file: cfg.logFile } : {}),
    ...(bar !== undefined ? { stderr: bar.logStream } : {}),
  });
  const pair = await Pair.open(cfg, log, cfg.dryRun);
  try {
    const outcome = await pair.pass({
      dryRun: cfg.dryRun,
      confirmDeletes: cfg.confirmDeletes,
      print: (line) => process.stdout.write(`${line}\n`),
      ...(bar !== undefined
        ? { compares: { planned: (n) => bar.planned(n), progress: (p) => bar.progress(p) } }
        : {}),
    });
    bar?.stop();
    const code = report(outcome, cfg.dryRun);
    if (outcome.status === 'done') await pruneAfterPass(pair, cfg);
    if (cfg.placeholders === 'file' && !cfg.dryRun) {
      process.stdout.write(
        'file placeholders are fetched while `lazysync run` or the daemon runs; until then opening one fails (EIO)\n',
      );
    }
    return code;
  } finally {
    bar?.stop();
    pair.close();
  }
}

/**
 * With a retention rule set, the versions it no longer keeps are pruned after the pass; a dry run says how
 * many it would prune (before the first sync there are none). One summary line.
 */
async function pruneAfterPass(pair: Pair, cfg: PairConfig): Promise<void> {
  const { describeSide, pruneVersions } = await import('../../engine/prune.js');
  const rule = retentionOf(cfg);
  const synced = existsSync(path.join(cfg.local, STATE_DIR, 'state.db'));
  if (!hasRetention(rule) || !synced) return;
  const r = await pruneVersions(pair, { rule, dryRun: cfg.dryRun, now: Date.now() });
  const { local, remote } = r.removed;
  if (cfg.dryRun || local.count + remote.count > 0) {
    const verb = cfg.dryRun ? 'dry run: would prune' : 'pruned';
    process.stdout.write(`${verb} versions: ${describeSide(local)} local, ${describeSide(remote)} remote\n`);
  }
}

/** Prints the outcome of a pass for people and returns the exit code. */
export function report(outcome: PassOutcome, dryRun: boolean): number {
  switch (outcome.status) {
    case 'remote-unavailable': {
      const c = outcome.applied;
      const done =
        c === undefined
          ? 'nothing was changed'
          : `before that: ${describeCounts(c)}; the rest is synced when it is back`;
      process.stderr.write(`lazysync: remote unavailable: ${outcome.reason}; ${done}\n`);
      return 1;
    }
    case 'waiting-confirm':
      process.stderr.write(
        `lazysync: ${outcome.message}; nothing was deleted: run again with --confirm-deletes to apply\n`,
      );
      return 1;
    case 'done': {
      if (dryRun) {
        process.stdout.write(`dry run: ${outcome.planned} action(s) planned, nothing changed\n`);
        return 0;
      }
      const c = outcome.counts;
      for (const line of outcome.conflicts) process.stdout.write(`conflict: ${line}\n`);
      process.stdout.write(`synced: ${describeCounts(c)}, ${outcome.problems} problems\n`);
      if (outcome.problems > 0) {
        process.stderr.write(
          `lazysync: ${outcome.problems} path(s) could not be synced; they are retried next pass\n`,
        );
        return 1;
      }
      return 0;
    }
  }
}
