// The driver's choices come from a small seeded generator (mulberry32), so a seed replays the same
// sequence of draws; contents come from randomBytes and are not part of it.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** One of `xs`, or undefined when it is empty (a draw is used either way). */
  pick<T>(xs: readonly T[]): T | undefined {
    return xs[Math.floor(this.next() * xs.length)];
  }
}
