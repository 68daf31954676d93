// The time stamp of version and conflict names, `YYYYMMDD-HHMMSS` in UTC: made from a time, and read back.

/** `YYYYMMDD-HHMMSS` in UTC. */
export function stampOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
  );
}

/** The UTC time (ms) of a `YYYYMMDD-HHMMSS` stamp; undefined if `text` is not one or names no real time. */
export function stampTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Date.UTC rolls 30 February over into March: such a stamp names no real time.
  return stampOf(ms) === text ? ms : undefined;
}
