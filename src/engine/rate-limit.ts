// A token bucket shared by all transfers of a pair: --bwlimit RATE bytes per second, changeable at run time.

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Callers waiting, so that concurrent transfers share the rate fairly in arrival order. */
  private queue: Promise<void> = Promise.resolve();

  /** `rate` in bytes per second; undefined or 0 means unlimited. Bursts are capped at a quarter second. */
  constructor(
    private rate: number | undefined,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = this.burst();
    this.last = clock.now();
  }

  get limit(): number | undefined {
    return this.rate;
  }

  setRate(rate: number | undefined): void {
    this.refill();
    this.rate = rate === 0 ? undefined : rate;
    this.tokens = Math.min(this.tokens, this.burst());
  }

  private burst(): number {
    return this.rate === undefined ? Infinity : Math.max(this.rate / 4, 1);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate !== undefined)
      this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Resolves once `bytes` may be sent (at once when unlimited). */
  take(bytes: number): Promise<void> {
    const turn = this.queue.then(() => this.wait(bytes));
    this.queue = turn;
    return turn;
  }

  private async wait(bytes: number): Promise<void> {
    for (;;) {
      this.refill();
      if (this.rate === undefined) return;
      // A chunk larger than the burst goes out once the bucket is full, leaving it in debt.
      if (this.tokens >= Math.min(bytes, this.burst())) {
        this.tokens -= bytes;
        return;
      }
      const missing = Math.min(bytes, this.burst()) - this.tokens;
      await this.clock.sleep(Math.max(1, (missing / this.rate) * 1000));
    }
  }
}
