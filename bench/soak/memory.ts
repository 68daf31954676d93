// The soak's memory watch: the daemon's RSS from /proc every 10 s, and every minute the figures the probe
// (probe.ts, loaded into the daemon) writes after a forced GC; heap snapshots when asked for; and the
// judgement whether the last daemon's memory grows without bound or only warmed up.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface RssSample {
  /** ms since the soak started */
  t: number;
  pid: number;
  rssKiB: number;
}

/** One line of the probe's stats file (bytes, except `proc`, which is in KiB). */
export interface ProbeSample {
  t: number;
  pid: number;
  uptimeS: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  mallocedMemory: number;
  proc: Record<string, number>;
  /** Resident KiB by kind of mapping (see probe.ts). */
  smaps?: Record<string, number>;
  /** Bytes used in each V8 heap space after the GC. */
  spacesUsed?: Record<string, number>;
  snapshot?: string;
}

const PROBE_PATH = fileURLToPath(new URL('./probe.js', import.meta.url));
const RSS_EVERY_MS = 10_000;
const PROBE_EVERY_MS = 60_000;

export class MemoryWatch {
  readonly rss: RssSample[] = [];
  private lastRss = 0;
  private lastProbe = 0;
  private readonly snapshotsDue: number[];

  constructor(
    private readonly t0: number,
    /** Where the probe writes its stats and snapshots (kept after the run). */
    readonly probeDir: string,
    /** Minutes since the start at which to write a heap snapshot of the daemon running then. */
    snapshotAtMin: number[],
  ) {
    mkdirSync(probeDir, { recursive: true });
    this.snapshotsDue = snapshotAtMin.map((m) => t0 + m * 60_000).sort((a, b) => a - b);
  }

  /** The environment that loads the probe into a daemon. */
  env(): NodeJS.ProcessEnv {
    const prior = process.env.NODE_OPTIONS ?? '';
    return {
      NODE_OPTIONS: `${prior} --import=${pathToFileURL(PROBE_PATH).href}`.trim(),
      LAZYSYNC_SOAK_PROBE_DIR: this.probeDir,
    };
  }

  /** Called often (every 2 s); samples when each kind of sample is due. */
  tick(pid: number | undefined): void {
    if (pid === undefined) return;
    const now = Date.now();
    if (now - this.lastRss >= RSS_EVERY_MS) {
      this.lastRss = now;
      const rss = vmRssKiB(pid);
      if (rss !== undefined) this.rss.push({ t: now - this.t0, pid, rssKiB: rss });
    }
    const snapshotDue = this.snapshotsDue.length > 0 && now >= (this.snapshotsDue[0] as number);
    if (snapshotDue || now - this.lastProbe >= PROBE_EVERY_MS) {
      this.lastProbe = now;
      if (snapshotDue) {
        const at = this.snapshotsDue.shift() as number;
        const name = `daemon-${pid}-${((at - this.t0) / 60_000).toFixed(1)}min.heapsnapshot`;
        writeFileSync(join(this.probeDir, 'snapshot'), name);
      }
      this.signal(pid);
    }
  }

  /** Asks the probe for figures now (e.g. right before the daemon is stopped). */
  signal(pid: number): void {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      /* gone */
    }
  }

  /** Everything the probe wrote, oldest first. */
  probeSamples(): ProbeSample[] {
    const out: ProbeSample[] = [];
    if (!existsSync(this.probeDir)) return out;
    for (const f of readdirSync(this.probeDir)) {
      const m = /^stats-(\d+)\.jsonl$/.exec(f);
      if (!m) continue;
      for (const line of readFileSync(join(this.probeDir, f), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const j = JSON.parse(line) as Omit<ProbeSample, 't' | 'pid'> & { at: string };
        out.push({ ...j, t: Date.parse(j.at) - this.t0, pid: Number(m[1]) });
      }
    }
    return out.sort((a, b) => a.t - b.t);
  }
}

function vmRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---- the judgement ----

export interface MemoryRules {
  /** Time after the daemon's start left out: caches and V8's heap sizing fill up then. */
  warmupMs: number;
  /** The shortest span after the warm-up that can tell a leak from warm-up; shorter is not judged. */
  minSpanMs: number;
  /**
   * Heap used after a forced GC (what JavaScript still holds), without compiled code where the probe gives
   * it (V8 keeps compiling hot functions for a long while, a bounded growth): growth that fails the check.
   */
  heapGrowthMiB: number;
  /** Resident malloc arenas (native allocations: SQLite, the addon, libuv, node's own): growth that fails. */
  mallocGrowthMiB: number;
  /**
   * RSS, the catch-all: growth that fails. Looser, because V8 grows and shrinks its young generation with
   * the allocation rate (by 16-18 MiB in the soak) without holding anything more.
   */
  rssGrowthMiB: number;
}

export const DEFAULT_RULES: MemoryRules = {
  warmupMs: 10 * 60_000,
  minSpanMs: 20 * 60_000,
  heapGrowthMiB: 1,
  mallocGrowthMiB: 6,
  rssGrowthMiB: 24,
};

export interface MemoryVerdict {
  judged: boolean;
  grew: boolean;
  text: string;
  /** The figures the verdict rests on, for the report. */
  figures: Record<string, number | string>;
}

const MiB = 1024 * 1024;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : NaN;
};

/**
 * Judges the last daemon (`pid`, started at `start` ms into the run): after the warm-up, the span is cut in
 * thirds and the medians of the first and the last third are compared, for the heap used after a forced
 * GC (what the program holds), the resident malloc arenas (native memory) and RSS (what the machine
 * pays). Any of them growing past its rule fails.
 */
export function judgeMemory(
  rss: RssSample[],
  probe: ProbeSample[],
  pid: number,
  start: number,
  /** When the changes stopped: the quiet end is a different load and is left out. */
  until: number,
  rules: MemoryRules = DEFAULT_RULES,
): MemoryVerdict {
  const mib = (b: number) => (b / MiB).toFixed(1);
  const from = start + rules.warmupMs;
  const r = rss.filter((s) => s.pid === pid && s.t >= from && s.t <= until);
  const h = probe.filter((s) => s.pid === pid && s.t >= from && s.t <= until);
  const lastT = Math.max(r[r.length - 1]?.t ?? 0, h[h.length - 1]?.t ?? 0);
  const span = lastT - from;
  const head = `last daemon pid ${pid} from ${(start / 60_000).toFixed(1)} min, warm-up ${rules.warmupMs / 60_000} min`;
  if (span < rules.minSpanMs || h.length < 6) {
    return {
      judged: false,
      grew: false,
      text: `${head}: only ${(Math.max(span, 0) / 60_000).toFixed(1)} min after the warm-up (${rules.minSpanMs / 60_000} needed to tell a leak from warm-up): not judged`,
      figures: { spanMin: span / 60_000 },
    };
  }
  const third = span / 3;
  const hours = (2 * third) / 3_600_000; // between the windows' middles
  const sign = (d: number) => `${d >= 0 ? '+' : ''}${mib(d)}`;
  const withoutCode = h.every((s) => s.spacesUsed !== undefined);
  const measures: { name: string; key: string; xs: { t: number; v: number }[]; limit: number }[] = [
    {
      name: withoutCode ? 'heap used after GC (without code)' : 'heap used after GC',
      key: 'heap',
      xs: h.map((s) => ({ t: s.t, v: s.heapUsed - (withoutCode ? codeBytes(s) : 0) })),
      limit: rules.heapGrowthMiB,
    },
    {
      name: 'malloc arenas',
      key: 'malloc',
      xs: h.flatMap((s) =>
        s.smaps === undefined ? [] : [{ t: s.t, v: ((s.smaps.brk ?? 0) + (s.smaps.arenas ?? 0)) * 1024 }],
      ),
      limit: rules.mallocGrowthMiB,
    },
    {
      name: 'RSS',
      key: 'rss',
      xs: r.map((s) => ({ t: s.t, v: s.rssKiB * 1024 })),
      limit: rules.rssGrowthMiB,
    },
  ];
  const figures: Record<string, number | string> = { spanMin: span / 60_000 };
  const parts: string[] = [];
  let grew = false;
  for (const m of measures) {
    if (m.xs.length === 0) continue;
    const a = median(m.xs.filter((s) => s.t <= from + third).map((s) => s.v));
    const b = median(m.xs.filter((s) => s.t >= lastT - third).map((s) => s.v));
    const over = b - a > m.limit * MiB;
    grew ||= over;
    figures[`${m.key}EarlyMiB`] = Number((a / MiB).toFixed(2));
    figures[`${m.key}LateMiB`] = Number((b / MiB).toFixed(2));
    figures[`${m.key}MiBPerHour`] = Number(((b - a) / MiB / hours).toFixed(2));
    parts.push(
      `${m.name} ${mib(a)} -> ${mib(b)} MiB (${sign(b - a)} MiB, ${sign((b - a) / hours)} MiB/h; limit +${m.limit}${over ? ': OVER' : ''})`,
    );
  }
  // A heap snapshot leaves tens of MiB in malloc's main arena: one inside the span is a step not the daemon's.
  const snaps = h.filter((s) => s.snapshot !== undefined && s.t < lastT - 60_000);
  const note = snaps.length
    ? `; NOTE: heap snapshot(s) at ${snaps.map((s) => `${(s.t / 60_000).toFixed(1)} min`).join(', ')} inside the judged span, take them before ${(from / 60_000).toFixed(1)} min`
    : '';
  return {
    judged: true,
    grew,
    text: `${head}, then ${(span / 60_000).toFixed(1)} min in thirds: ${parts.join(', ')}${note}`,
    figures: {
      ...figures,
      ...composition(
        'early',
        h.filter((s) => s.t <= from + third),
      ),
      ...composition(
        'late',
        h.filter((s) => s.t >= lastT - third),
      ),
    },
  };
}

/** Compiled code in V8's heap (0 when the probe did not report the spaces). */
function codeBytes(s: ProbeSample): number {
  const u = s.spacesUsed;
  return u === undefined ? 0 : (u.code_space ?? 0) + (u.code_large_object_space ?? 0);
}

/** Medians of where the memory is, for the report: V8's heap, buffers, and malloc's arenas. */
function composition(prefix: string, xs: ProbeSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, values: number[]) => {
    if (values.length) out[`${prefix}${name}MiB`] = Number((median(values) / MiB).toFixed(2));
  };
  put(
    'HeapTotal',
    xs.map((s) => s.heapTotal),
  );
  put(
    'Code',
    xs.flatMap((s) => (s.spacesUsed === undefined ? [] : [codeBytes(s)])),
  );
  put(
    'External',
    xs.map((s) => s.external),
  );
  for (const k of ['brk', 'arenas', 'anon', 'file']) {
    put(
      k[0]?.toUpperCase() + k.slice(1),
      xs.flatMap((s) => (s.smaps?.[k] === undefined ? [] : [s.smaps[k] * 1024])),
    );
  }
  return out;
}
