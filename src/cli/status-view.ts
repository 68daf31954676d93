// `lazysync status` for people, pure: one table row per pair, a note per paused/failed pair, the transfers.
import type { PairState, PairStatus } from '../engine/runner-api.js';
import { probeLimits } from '../fsops/probe-advice.js';
import {
  displayPath,
  displayText,
  formatAgo,
  formatDuration,
  formatProgress,
  formatRate,
  formatSize,
  renderTable,
  shellArg,
} from './format.js';

/** `GET /v1/status`. */
export interface DaemonStatus {
  version: string;
  pid: number;
  pairs: PairStatus[];
}

const STATE_LABELS: Record<PairState, string> = {
  idle: 'idle',
  scanning: 'scanning',
  syncing: 'syncing',
  paused: 'paused',
  'remote-unavailable': 'remote unavailable',
  'waiting-confirm': 'waiting for delete confirmation',
  error: 'error',
};

export function stateLabel(state: string): string {
  return (STATE_LABELS as Record<string, string | undefined>)[state] ?? displayText(state);
}

/** The whole daemon: a header line, then the pairs. */
export function renderDaemonStatus(status: DaemonStatus, now: Date): string[] {
  const head = `lazysync ${displayText(status.version)}, daemon pid ${status.pid}`;
  if (status.pairs.length === 0) {
    return [head, 'no pairs yet: add one with `lazysync add -r REMOTE -l LOCAL`'];
  }
  return [head, '', ...renderPairs(status.pairs, now)];
}

/** The pairs table, the notes (why a pair is paused, what to do) and the transfers in progress. */
export function renderPairs(pairs: PairStatus[], now: Date): string[] {
  const rows = pairs.map((p) => {
    const c = p.counts;
    return [
      displayText(p.name),
      stateLabel(p.state),
      p.lastPass === null ? 'never' : formatAgo(p.lastPass.finishedAt, now),
      String(c.placeholders),
      c.localCopies === 0 ? '0' : `${c.localCopies} (${formatSize(c.localCopyBytes)})`,
      String(c.pinned),
      String(c.conflicts),
      String(c.problems),
      p.versions === undefined
        ? '-'
        : `${formatSize(p.versions.local.bytes)} / ${formatSize(p.versions.remote.bytes)}`,
    ];
  });
  const lines = renderTable(
    [
      'PAIR',
      'STATE',
      'LAST PASS',
      'PLACEHOLDERS',
      'LOCAL COPIES',
      'PINNED',
      'CONFLICTS',
      'PROBLEMS',
      'VERSIONS L / R',
    ],
    rows,
    [3, 4, 5, 6, 7, 8],
  );
  const notes = pairs.flatMap((p) => note(p));
  if (notes.length > 0) lines.push('', ...notes);
  const transfers = pairs.flatMap((p) =>
    p.transfers.map((t) => [
      displayText(p.name),
      t.direction,
      displayPath(t.path),
      formatProgress(t.bytes, t.total),
      formatRate(t.rate),
      t.etaSeconds === null ? '?' : `${formatDuration(t.etaSeconds)} left`,
    ]),
  );
  if (transfers.length > 0) {
    lines.push(
      '',
      ...renderTable(['TRANSFERS', 'DIRECTION', 'PATH', 'PROGRESS', 'RATE', 'TIME LEFT'], transfers),
    );
  }
  return lines;
}

function note(p: PairStatus): string[] {
  const name = displayText(p.name);
  const skipped =
    p.skipped !== undefined && p.skipped > 0
      ? [`${name}: ${p.skipped} path(s) stay local only: the remote cannot store them (see the log)`]
      : [];
  const limits = p.mount ? probeLimits(p.mount) : [];
  const mount =
    p.mount && limits.length > 0 ? [`${name}: remote (${p.mount.kind}): ${limits.join(', ')}`] : [];
  return [...stateNote(p, name), ...mount, ...skipped];
}

function stateNote(p: PairStatus, name: string): string[] {
  const arg = displayText(shellArg(p.name));
  const why = p.reason === null ? '' : `: ${displayText(p.reason)}`;
  switch (p.state) {
    case 'waiting-confirm':
      return [
        `${name}: ${stateLabel(p.state)}${why}; apply with \`lazysync resume ${arg} --confirm-deletes\``,
      ];
    case 'paused':
      return [`${name}: paused${why}; continue with \`lazysync resume ${arg}\``];
    case 'remote-unavailable':
    case 'error':
      return [`${name}: ${stateLabel(p.state)}${why}`];
    default:
      return p.reason === null ? [] : [`${name}: ${displayText(p.reason)}`];
  }
}
