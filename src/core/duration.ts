// Spans of time as people write them for retention: 90m, 12h, 30d, 2w (minutes, hours, days, weeks).

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds, or undefined if `text` is not a number followed by m, h, d or w. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$/i.exec(text);
  if (m === null) return undefined;
  const ms = Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** The largest whole unit that writes `ms` exactly: 30d, 36h, 90m (what parseDuration reads back). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm']) {
    const size = UNITS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 60_000)}m`;
}
