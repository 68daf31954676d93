// The run's clock: when it started and when the changes stop, and the elapsed time every log line starts with.

export class RunClock {
  readonly t0 = Date.now();
  readonly end: number;

  constructor(minutes: number) {
    this.end = this.t0 + minutes * 60_000;
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return Date.now() - this.t0;
  }

  /** Seconds since the start, for log lines and the ledger's history, e.g. `12.3s`. */
  since(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
