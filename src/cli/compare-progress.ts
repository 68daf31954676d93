// A progress bar on stderr for the byte comparisons of `lazysync sync` (a first sync reads both copies of
// every file that agrees in size and mtime second), fed by the pass's compare events. Only on a terminal,
// and only when the comparing is much: logs, pipes and tests stay clean.
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { display } from '../core/paths.js';
import type { CompareProgress } from '../engine/exec-context.js';
import { fitLabel, formatRate } from './format.js';
import { barParts } from './pin-progress.js';

/**
 * A bar is shown for a pass that compares at least this many bytes of each side (64 MiB: well over a
 * second on a network mount, where the bar matters)...
 */
export const BAR_MIN_BYTES = 64 * 1024 * 1024;
/** ...or for a smaller one once its comparing has gone on this long with bytes still to compare (a slow link). */
export const BAR_AFTER_MS = 1000;

export interface CompareState {
  /** Bytes (of each side) the pass compares, as far as known. */
  total: number;
  /** Bytes compared so far (a file found different early counts as compared whole). */
  compared: number;
  /** Since the first comparison began. */
  elapsedMs: number;
}

/** Whether comparing as far as `s` says deserves a bar on stderr (`tty`: stderr is a terminal). */
export function wantsCompareBar(tty: boolean, s: CompareState): boolean {
  if (!tty || s.compared >= s.total) return false;
  return s.total >= BAR_MIN_BYTES || s.elapsedMs >= BAR_AFTER_MS;
}

/** What the pass's comparisons add up to: the planned total, what is compared, the path being compared. */
export class CompareTally {
  private finished = 0;
  private readonly inFlight = new Map<string, number>();
  /** The path compared most recently, for the bar's label. */
  current = '';

  constructor(public total: number) {}

  get compared(): number {
    let n = this.finished;
    for (const bytes of this.inFlight.values()) n += bytes;
    return n;
  }

  add(p: CompareProgress): void {
    if (p.done) {
      this.inFlight.delete(p.path);
      this.finished += p.total;
      if (this.current === p.path) this.current = this.inFlight.keys().next().value ?? p.path;
    } else {
      this.inFlight.set(p.path, p.bytes);
      this.current = p.path;
    }
    // A compare the plan did not count (a path decided again after a stale view) makes the total grow.
    this.total = Math.max(this.total, this.compared);
  }
}

/** The bar's label: the path (binary, as the engine names it) for people, fitted (fitLabel). */
export function compareLabel(rel: string): string {
  return fitLabel(rel === '' ? '.' : display(rel));
}

/** `comparing [bar]  25% 64.0 MiB / 256 MiB  410 MiB/s  photos/a.raw`; `from`: compared when the bar began. */
const formatLine: cliProgress.GenericFormatter = (
  options,
  params,
  payload: { label: string; from: number },
) => {
  const { bar, percent, amount, rate } = barParts(options, params, payload.from);
  return `comparing ${bar} ${percent} ${amount}  ${formatRate(rate)}  ${payload.label}`;
};

/**
 * The bar, for one pass: `planned` with the plan's total, then every compare event. Until the bar shows and
 * after it ends, nothing is written; `logStream` carries log lines past it (above the bar while it shows).
 */
export class CompareBar {
  private tally: CompareTally | undefined;
  private startedAt: number | undefined;
  private multi: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private ended = false;
  /** Where log lines for people go: straight to the stream, or above the bar while it shows. */
  readonly logStream: Writable;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {
    this.logStream = new Writable({
      write: (chunk: Buffer | string, _enc, done) => {
        if (this.multi !== undefined) this.multi.log(chunk.toString());
        else stream.write(chunk);
        done();
      },
    });
  }

  planned(total: number): void {
    this.tally = new CompareTally(total);
  }

  progress(p: CompareProgress): void {
    const tally = this.tally;
    if (tally === undefined || this.ended) return;
    this.startedAt ??= this.now();
    tally.add(p);
    const label = compareLabel(tally.current);
    if (this.bar === undefined) {
      const state = { total: tally.total, compared: tally.compared, elapsedMs: this.now() - this.startedAt };
      if (!wantsCompareBar(this.stream.isTTY === true, state)) return;
      this.multi = new cliProgress.MultiBar(
        { stream: this.stream, format: formatLine, hideCursor: false, barsize: 24, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multi.create(tally.total, tally.compared, { label, from: tally.compared });
      return;
    }
    this.bar.setTotal(tally.total);
    this.bar.update(tally.compared, { label });
    if (tally.compared >= tally.total) this.stop();
  }

  /** Ends the bar (its last state stays on the screen) and lets log lines through again. */
  stop(): void {
    this.ended = true;
    const multi = this.multi;
    if (multi === undefined) return;
    multi.update(); // writes log lines still held for above the bar
    multi.stop();
    this.multi = undefined;
  }
}
