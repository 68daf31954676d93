// Progress bars for `lazysync pin` on a terminal, fed by the event stream's download `transfer` events.
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { PairStatus } from '../engine/runner-api.js';
import type { ApiEvent } from './client.js';
import { displayPath, fitLabel, formatDuration, formatRate, formatSize } from './format.js';
import { isUnderFolder } from './paths.js';

type TransferEvent = Extract<ApiEvent, { type: 'transfer' }>;

/** What a pin request covers: a pair and a path relative to its root (`''`: the whole pair). */
export interface PinTarget {
  pair: string;
  prefix: string;
}

/** The targets of absolute `paths`, each in the pair whose local folder holds it (the innermost one). */
export function pinTargets(pairs: PairStatus[], paths: string[]): PinTarget[] {
  const targets: PinTarget[] = [];
  for (const p of paths) {
    const owner = pairs
      .filter((pair) => isUnderFolder(p, pair.local))
      .sort((a, b) => b.local.length - a.local.length)[0];
    if (owner !== undefined) targets.push({ pair: owner.name, prefix: path.relative(owner.local, p) });
  }
  return targets;
}

/** Whether a transfer event is a download of the request's files; with no known target, every download is. */
export function isPinTransfer(targets: PinTarget[], e: ApiEvent): e is TransferEvent {
  if (e.type !== 'transfer' || e.direction !== 'download') return false;
  if (targets.length === 0) return true;
  return targets.some(
    (t) => t.pair === e.pair && (t.prefix === '' || e.path === t.prefix || e.path.startsWith(`${t.prefix}/`)),
  );
}

/** A transfer gets a bar once it has run this long, so small files do not flash one. */
const SHOW_AFTER_MS = 300;

/** The file's name for a bar, fitted (fitLabel). */
export function barLabel(rel: string): string {
  return fitLabel(displayPath(rel));
}

/** What a bar's line is made of: the bar, percent, `value / total`, and the rate since `from`. */
export interface BarParts {
  bar: string;
  percent: string;
  amount: string;
  rate: number;
}

/** The parts of a cli-progress line; `from` is where the bar's own count began. */
export function barParts(options: cliProgress.Options, params: cliProgress.Params, from: number): BarParts {
  const seconds = Math.max((Date.now() - params.startTime) / 1000, 0.001);
  return {
    bar: cliProgress.Format.BarFormat(params.progress, options),
    percent: `${String(Math.floor(params.progress * 100)).padStart(3)}%`,
    amount: `${formatSize(params.value)} / ${formatSize(params.total)}`,
    rate: (params.value - from) / seconds,
  };
}

/** One bar's line: `file [bar]  25% 1.0 MiB / 4.0 MiB  2.0 MiB/s  2 s left`. */
const formatLine: cliProgress.GenericFormatter = (
  options,
  params,
  payload: { label: string; from: number },
) => {
  const { bar, percent, amount, rate } = barParts(options, params, payload.from);
  const left = rate > 0 ? `${formatDuration((params.total - params.value) / rate)} left` : '';
  return `${payload.label} ${bar} ${percent} ${amount}  ${formatRate(rate)}  ${left}`;
};

export class PinProgress {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly firstSeen = new Map<string, number>();

  constructor(
    stream: NodeJS.WritableStream,
    private readonly now: () => number = Date.now,
  ) {
    this.multi = new cliProgress.MultiBar(
      { stream, format: formatLine, clearOnComplete: true, hideCursor: false, barsize: 24, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
  }

  transfer(e: TransferEvent): void {
    const key = `${e.pair}\0${e.path}`;
    const bar = this.bars.get(key);
    if (e.done) {
      if (bar !== undefined) this.multi.remove(bar);
      this.bars.delete(key);
      this.firstSeen.delete(key);
      return;
    }
    if (bar !== undefined) {
      bar.setTotal(e.total);
      bar.update(e.bytes);
      return;
    }
    const seen = this.firstSeen.get(key);
    if (seen === undefined) this.firstSeen.set(key, this.now());
    else if (this.now() - seen >= SHOW_AFTER_MS) {
      this.bars.set(key, this.multi.create(e.total, e.bytes, { label: barLabel(e.path), from: e.bytes }));
    }
  }

  stop(): void {
    this.multi.stop();
  }
}
