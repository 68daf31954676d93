// Pruning: the versions a retention rule no longer keeps are removed, on both sides. Only what the pair's
// ledger records, inside ROOT/.lazysync/versions/, with the name keepVersion gave it and still looking as
// it did when it was kept, is ever removed: another pair's versions on a shared remote, and anything a
// person put there, are left alone. The remote must pass the same checks as a pass (mounted, marked).
import fsp from 'node:fs/promises';
import type { PairConfig } from '../config.js';
import { formatDuration } from '../core/duration.js';
import { parseVersionName, versionName } from '../core/names.js';
import { baseName, display, isWithin, parentOf } from '../core/paths.js';
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
import { LazysyncError, hasCode } from '../errors.js';
import { absOf } from '../fsops/entry.js';
import { isAbsent } from '../fsops/fserr.js';
import { expectParents } from '../fsops/parents.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import type { LedgerRow, SideUsage, VersionLedger } from '../store/archive-versions.js';
import { VERSIONS_DIR } from '../versions/versions.js';
import { rememberedRemote, remoteUnavailableReason } from './health.js';

const SIDES: readonly Side[] = ['local', 'remote'];
/** A prune's answer names at most this many versions; the counts cover them all. */
const MAX_LISTED = 10_000;

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
    for (const row of ledger.doomed()) {
      if (!opts.dryRun) {
        const outcome = await removeVersion(host.roots[row.side].path, row);
        if (outcome === 'unsafe') {
          host.log.warn(
            { side: row.side, file: display(row.file) },
            `not pruned: a folder on the way to ${row.side} ${display(row.file)} is not a real folder now`,
          );
          continue;
        }
        ledger.forget(row.id);
        if (outcome !== 'removed') {
          report.forgotten++;
          if (outcome === 'changed') {
            host.log.warn(
              { side: row.side, file: display(row.file) },
              `not pruned: ${row.side} ${display(row.file)} is no longer the version that was kept; left alone`,
            );
          }
          continue;
        }
        host.log.info(
          {
            side: row.side,
            path: display(row.path),
            file: display(row.file),
            size: row.size,
            reason: row.reason,
          },
          `pruned ${row.side} ${display(row.file)} (${formatSize(row.size)}, ${row.reason})`,
        );
      }
      const sum = report.removed[row.side];
      sum.count++;
      sum.bytes += row.size;
      if (report.versions.length < MAX_LISTED) report.versions.push(listed(row));
    }
  } finally {
    ledger.clearDoomed();
  }
  const { local, remote } = report.removed;
  if (!opts.dryRun && local.count + remote.count > 0) {
    host.log.info(
      { local, remote },
      `pruned ${local.count + remote.count} versions: ${describeSide(local)} local, ${describeSide(remote)} remote`,
    );
  }
  return report;
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

function listed(row: LedgerRow & { reason: PruneReason }): PrunedVersion {
  return {
    side: row.side,
    path: display(row.path),
    file: display(row.file),
    made: new Date(row.made).toISOString(),
    size: row.size,
    reason: row.reason,
  };
}

/**
 * Removes one recorded version if it is still what was kept: 'gone' if nothing is there, 'changed' if
 * something else is (or the record does not name a version), 'unsafe' if a folder on the way is not a real
 * folder (tried again at the next prune). Emptied folders of the versions tree go too.
 */
async function removeVersion(
  root: string,
  row: LedgerRow,
): Promise<'removed' | 'gone' | 'changed' | 'unsafe'> {
  const name = baseName(row.file);
  const parsed = parseVersionName(name);
  const recognised =
    isWithin(row.file, VERSIONS_DIR) &&
    row.file !== VERSIONS_DIR &&
    parsed !== undefined &&
    versionName(baseName(row.path), parsed.stamp, parsed.n) === name;
  if (!recognised) return 'changed';
  // Never through a folder swapped for a symlink: that could lead outside the versions.
  try {
    await expectParents(root, row.file);
  } catch (e) {
    if (e instanceof LazysyncError && e.code === 'changed') return 'unsafe';
    throw e;
  }
  const abs = absOf(root, row.file);
  let st;
  try {
    st = await fsp.lstat(abs);
  } catch (e) {
    if (isAbsent(e)) return 'gone';
    throw e;
  }
  const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  // mtimes to the second: some mounts keep no more.
  const sameFile =
    row.kind !== 'file' ||
    (st.size === row.size && Math.floor(st.mtimeMs / 1000) === Math.floor(row.mtime / 1000));
  if (kind !== row.kind || !sameFile) return 'changed';
  if (kind === 'dir') await fsp.rm(abs, { recursive: true });
  else await fsp.unlink(abs);
  for (
    let dir = parentOf(row.file);
    dir !== VERSIONS_DIR && isWithin(dir, VERSIONS_DIR);
    dir = parentOf(dir)
  ) {
    try {
      await fsp.rmdir(absOf(root, dir));
    } catch (e) {
      if (hasCode(e, 'ENOTEMPTY', 'EEXIST') || isAbsent(e)) break;
      throw e;
    }
  }
  return 'removed';
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
