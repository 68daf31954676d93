// Human output of the client, pure: sizes, rates, durations, "3 min ago", stamps and times, safe text, tables.
import { parseDuration } from '../core/duration.js';
import { formatSize } from '../core/size.js';
import { stampOf, stampTime } from '../versions/stamp.js';

export { formatSize };

/** The UTC time of a `YYYYMMDD-HHMMSS` stamp, or undefined if `text` is not one or names no real time. */
export function parseStamp(text: string): Date | undefined {
  const ms = stampTime(text);
  return ms === undefined ? undefined : new Date(ms);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?: ?(?:UTC|Z))?$/i;

/**
 * A time as `restore --at` takes it, as the version key the daemon takes (`YYYYMMDD-HHMMSS[-N]`, UTC): a
 * version as `versions` shows it (`20261128-101500`, `20261128-101500-1`), a UTC date and time
 * (`2026-11-28 10:15`, `2026-11-28T10:15:00Z`, `2026-11-28`), or how long ago (`2h`, `3d`, `1w`).
 * Undefined if it is none of these.
 */
export function parseAt(text: string, now: number): string | undefined {
  const t = text.trim();
  const version = /^(\d{8}-\d{6})(-\d+)?$/.exec(t);
  if (version !== null) return stampTime(version[1] ?? '') === undefined ? undefined : t;
  const ago = parseDuration(t);
  if (ago !== undefined) return stampOf(now - ago);
  const m = DATE_TIME.exec(t);
  if (m === null) return undefined;
  const [y, mo, d, h = '00', mi = '00', s = '00'] = m.slice(1);
  const stamp = `${y}${mo}${d}-${h}${mi}${s}`;
  return stampTime(stamp) === undefined ? undefined : stamp;
}

/** `2026-11-28 10:15:00 UTC`. */
export function formatUtc(t: Date): string {
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A version stamp as a date (`2026-11-28 10:15:00 UTC`); anything else is shown as it is. */
export function formatStamp(stamp: string): string {
  const t = parseStamp(stamp);
  return t === undefined ? displayText(stamp) : formatUtc(t);
}

/** An ISO time from the API as a date; null (unknown or missing) as `-`. */
export function formatIso(iso: string | null): string {
  if (iso === null) return '-';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? displayText(iso) : formatUtc(t);
}

/** `45 s`, `2 min 5 s`, `1 h 5 min`, `3 d 4 h`; seconds are rounded up (a time left is never shown short). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (s < 3600) return two(Math.floor(s / 60), 'min', s % 60, 's');
  if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min');
  return two(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

/** A short duration given in milliseconds: `840 ms`, `1.2 s`, then as formatDuration. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms / 1000);
}

/** How long ago `then` (a Date or an ISO string) was at `now`: `just now`, `12 s ago`, `3 min ago`, `5 h ago`, `2 days ago`. */
export function formatAgo(then: Date | string, now: Date): string {
  const t = typeof then === 'string' ? new Date(then) : then;
  if (Number.isNaN(t.getTime())) return typeof then === 'string' ? displayText(then) : '?';
  const s = Math.floor((now.getTime() - t.getTime()) / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86400);
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

/** Bytes per second: `2.0 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '?';
  return `${formatSize(Math.round(bytesPerSecond))}/s`;
}

/** `1 file`, `12 files`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** `bytes / total (25%)`. */
export function formatProgress(bytes: number, total: number): string {
  const pct = total > 0 ? Math.min(100, Math.floor((bytes / total) * 100)) : 100;
  return `${formatSize(bytes)} / ${formatSize(total)} (${pct}%)`;
}

/**
 * Text from the daemon made safe for one terminal line: control characters (names may hold newlines or
 * escape sequences from the remote) are shown escaped, `\n`, `\t`, `\r` or `\xNN` / `\uNNNN`.
 */
export function displayText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x80
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A relative path from the API for people: the pair's root itself is `.`. */
/** How wide a progress bar's label is. */
const LABEL_WIDTH = 40;

/** A progress bar's label: `shown` padded or cut to LABEL_WIDTH characters, its end (the file name) kept. */
export function fitLabel(shown: string): string {
  return shown.length <= LABEL_WIDTH ? shown.padEnd(LABEL_WIDTH) : `…${shown.slice(-(LABEL_WIDTH - 1))}`;
}

export function displayPath(rel: string): string {
  return rel === '' ? '.' : displayText(rel);
}

/**
 * Rows aligned in columns under a header, two spaces apart, without trailing spaces. Columns listed in
 * `right` are right-aligned (numbers). Cells are shown as given: escape daemon text before.
 */
export function renderTable(header: string[], rows: string[][], right: readonly number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    widths
      .map((w, i) => {
        const c = cells[i] ?? '';
        return right.includes(i) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A word as a shell would need it typed in a suggested command: as it is when safe, else single-quoted. */
export function shellArg(word: string): string {
  if (/^[A-Za-z0-9_.,:@%+=/-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
