// `lazysync prune [PAIR] [--dry-run] [retention options]`: versions the pair's retention rule (or the one
// given for this once) no longer keeps are removed; a dry run lists them and removes nothing.
import type { Command } from 'commander';
import type { PruneReport } from '../../engine/prune.js';
import { storedFromArgs, type PairOptions, type RawOptions } from '../../pair-options.js';
import { RETENTION_KEYS } from '../../retention-options.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText, formatIso, formatSize, plural, renderTable } from '../format.js';
import { stdio, type Io } from '../io.js';
import { pairFlag } from '../pair-flags.js';

export function register(program: Command, setCode: SetCode): void {
  const cmd = clientCommand(
    program,
    'prune [pair]',
    "remove the versions a retention rule no longer keeps (every pair's, or one pair's)",
  ).option('--dry-run', 'list what would be removed and remove nothing');
  // Given here, the retention options make a rule for this prune only, instead of the pair's own.
  for (const key of RETENTION_KEYS) cmd.addOption(pairFlag(key, false));
  cmd.action(async (pair: string | undefined, opts: PruneOptions) => setCode(await pruneCommand(pair, opts)));
}

export type PruneOptions = SocketOption & { dryRun?: boolean } & Pick<
    RawOptions,
    (typeof RETENTION_KEYS)[number]
  >;

type PairPruned = { pair: string } & (PruneReport | { error: string });

/** The one-off rule in its stored form (the command takes no other saved option); a bad value is a usage error. */
function ruleOf(opts: PruneOptions): PairOptions | undefined {
  const rule = storedFromArgs(opts);
  return Object.keys(rule).length === 0 ? undefined : rule;
}

/** The answer's lines: results for stdout, and errors for stderr (where io.err puts `lazysync: ` first). */
export function renderPruned(results: PairPruned[]): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  for (const r of results) {
    const pair = displayText(r.pair);
    if ('error' in r) {
      err.push(`${pair}: ${displayText(r.error)}`);
      continue;
    }
    const { local, remote } = r.removed;
    const n = local.count + remote.count;
    if (r.rule === null) {
      out.push(`${pair}: no retention rule, every version is kept (see --versions-max-age and the others)`);
      continue;
    }
    if (r.dryRun && n > 0) {
      const rows = r.versions.map((v) => [
        v.side,
        formatIso(v.made),
        formatSize(v.size),
        v.reason,
        displayPath(v.path),
        displayPath(v.file),
      ]);
      out.push(...renderTable(['SIDE', 'MADE', 'SIZE', 'WHY', 'PATH', 'VERSION'], rows, [2]));
      if (n > r.versions.length) out.push(`... and ${n - r.versions.length} more`);
    }
    const verb = r.dryRun ? 'would remove' : 'removed';
    const sides = `${local.count} local (${formatSize(local.bytes)}), ${remote.count} remote (${formatSize(remote.bytes)})`;
    out.push(`${pair}: ${verb} ${plural(n, 'version')}: ${sides}; rule: ${r.rule}`);
    if (r.forgotten > 0) {
      out.push(
        `${pair}: ${plural(r.forgotten, 'version')} already gone or changed by someone else: left alone`,
      );
    }
  }
  return { out, err };
}

export async function pruneCommand(
  pair: string | undefined,
  opts: PruneOptions,
  io: Io = stdio,
): Promise<number> {
  const rule = ruleOf(opts);
  const client = daemonClient(opts);
  const answer = await client.request<{ pruned: PairPruned[] }>('POST', '/v1/prune', {
    ...(pair !== undefined && { pair }),
    ...(opts.dryRun === true && { dryRun: true }),
    ...(rule !== undefined && { rule }),
  });
  const { out, err } = renderPruned(answer.pruned);
  for (const line of out) io.out(line);
  for (const line of err) io.err(line);
  return err.length > 0 ? 1 : 0;
}
