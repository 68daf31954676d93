// Pruning: the versions a retention rule no longer keeps are removed, on both sides. Only what the pair's
// ledger records, inside ROOT/.lazysync/versions/, with the name keepVersion gave it and still looking as
// it did when it was kept, is ever removed: another pair's versions on a shared remote, and anything a
// person put there, are left alone. The remote must pass the same checks as a pass (mounted, marked).
import type { PairConfig } from '../config.js';
import { formatDuration } from '../core/duration.js';
import { display } from '../core/paths.js';
import {
  hasPerPathRule,
  hasRetention,
  overBudget,
  prunePath,
  type PruneReason,
  type RetentionRule,
} from '../core/retention.js';
import { formatSize } from '../core/size.js';
import type { Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import type { DoomedRow, SideUsage, VersionLedger } from '../store/archive-versions.js';
import { mapLimit } from '../limit.js';
import { VersionRemover, type Removal } from './prune-remove.js';
import { rememberedRemote, remoteUnavailableReason } from './health.js';

const SIDES: readonly Side[] = ['local', 'remote'];
/** A prune's answer names at most this many versions; the counts cover them all. */
const MAX_LISTED = 10_000;
/** Versions removed at once at most (round trips on a mount), from each page the archive gives. */
const PARALLEL = 32;

export interface PruneHost {
  archive: Archive;
  roots: Record<Side, { path: string }>;
  /** The remote folder as configured, for its health check. */
  cfg: Pick<PairConfig, 'remote'>;
  log: Logger;
}

export interface PruneOptions {
  rule: RetentionRule;
  dryRun: boolean;
  now: number;
}

/** One version a prune removed (or, in a dry run, would remove). */
export interface PrunedVersion {
  side: Side;
  /** The path it is a version of. */
  path: string;
  /** The version's path relative to its root. */
  file: string;
  made: string;
  size: number;
  reason: PruneReason;
}

export interface PruneReport {
  dryRun: boolean;
  /** The rule applied, in words; null when there is none (nothing is pruned). */
  rule: string | null;
  /** Removed (or to be removed) on each side. */
  removed: Record<Side, SideUsage>;
  /** The first MAX_LISTED of them, oldest first. */
  versions: PrunedVersion[];
  /** Ledger rows dropped without removing anything: the file was gone, or is no longer what was kept. */
  forgotten: number;
}

/**
 * Chooses what `opts.rule` removes and removes it (unless a dry run). Throws 'remote-unavailable' (nothing
 * removed on either side) if the remote fails its health check.
 */
export async function pruneVersions(host: PruneHost, opts: PruneOptions): Promise<PruneReport> {
  const report: PruneReport = {
    dryRun: opts.dryRun,
    rule: hasRetention(opts.rule) ? describeRule(opts.rule) : null,
    removed: { local: { count: 0, bytes: 0 }, remote: { count: 0, bytes: 0 } },
    versions: [],
    forgotten: 0,
  };
  if (!hasRetention(opts.rule)) return report;
  const why = await remoteUnavailableReason(host.cfg.remote, rememberedRemote(host.archive));
  if (why !== undefined) {
    throw new LazysyncError('remote-unavailable', `remote unavailable: ${why}; nothing pruned`);
  }
  const ledger = host.archive.versions;
  ledger.clearDoomed();
  try {
    host.archive.transaction(() => choose(ledger, opts.rule, opts.now));
    const removers = {
      local: new VersionRemover(host.roots.local.path),
      remote: new VersionRemover(host.roots.remote.path, { listFolders: true }),
    };
    const count = (row: DoomedRow): void => {
      const sum = report.removed[row.side];
      sum.count++;
      sum.bytes += row.size;
      if (report.versions.length < MAX_LISTED) report.versions.push(listed(row));
    };
    for (const batch of ledger.doomed()) {
      if (opts.dryRun) batch.forEach(count);
      else {
        for (const side of SIDES) removers[side].willRemove(batch.filter((r) => r.side === side));
        const outcomes = await mapLimit(batch, PARALLEL, (row) => removers[row.side].remove(row));
        batch.forEach((row, i) => {
          const outcome = settle(host, row, outcomes[i] as Removal);
          if (outcome === 'removed') count(row);
          else if (outcome !== 'unsafe') report.forgotten++;
        });
      }
    }
    if (!opts.dryRun) for (const side of SIDES) await removers[side].removeEmptiedFolders();
  } finally {
    ledger.clearDoomed();
  }
  const { local, remote } = report.removed;
  if (!opts.dryRun && local.count + remote.count > 0) {
    host.log.info(
      { local, remote },
      `pruned ${local.count + remote.count} version(s): ${describeSide(local)} local, ${describeSide(remote)} remote`,
    );
  }
  return report;
}

/** Records what became of one version in the ledger and the log; returns it. */
function settle(host: PruneHost, row: DoomedRow, outcome: Removal): Removal {
  const where = `${row.side} ${display(row.file)}`;
  const fields = { side: row.side, file: display(row.file) };
  if (outcome === 'unsafe') {
    host.log.warn(fields, `not pruned: a folder on the way to ${where} is not a real folder now`);
    return outcome; // its row stays: tried again at the next prune
  }
  host.archive.versions.forget(row.id);
  if (outcome === 'changed') {
    host.log.warn(fields, `not pruned: ${where} is no longer the version that was kept; left alone`);
  } else if (outcome === 'removed') {
    host.log.info(
      { ...fields, path: display(row.path), size: row.size, reason: row.reason },
      `pruned ${where} (${formatSize(row.size)}, ${row.reason})`,
    );
  }
  return outcome;
}

export function describeSide(u: SideUsage): string {
  return `${u.count} (${formatSize(u.bytes)})`;
}

/** Marks what the rule removes: the per-path rules path by path, then each side's size budget. */
function choose(ledger: VersionLedger, rule: RetentionRule, now: number): void {
  for (const side of SIDES) {
    if (hasPerPathRule(rule)) {
      for (const path of ledger.paths(side)) {
        const rows = ledger.ofPath(side, path);
        prunePath(rule, rows, now).forEach((reason, i) => {
          const row = rows[i];
          if (reason !== undefined && row !== undefined) ledger.doom(row.id, reason);
        });
      }
    }
    if (rule.maxTotal !== undefined) {
      const over = overBudget(rule.maxTotal);
      for (const row of ledger.survivors(side)) if (over(row.size)) ledger.doom(row.id, 'total');
    }
  }
}

function listed(row: DoomedRow): PrunedVersion {
  return {
    side: row.side,
    path: display(row.path),
    file: display(row.file),
    made: new Date(row.made).toISOString(),
    size: row.size,
    reason: row.reason,
  };
}

/** A rule in words: `older than 30d, more than 10 per file`. */
export function describeRule(rule: RetentionRule): string {
  const parts: string[] = [];
  if (rule.maxAgeMs !== undefined) parts.push(`older than ${formatDuration(rule.maxAgeMs)}`);
  if (rule.maxCount !== undefined) parts.push(`beyond ${rule.maxCount} per file`);
  if (rule.staggered === true) parts.push('thinned with age (staggered)');
  if (rule.maxTotal !== undefined) parts.push(`beyond ${formatSize(rule.maxTotal)} per side`);
  return parts.join(', ');
}
