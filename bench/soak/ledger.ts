// The ledger: every content the driver wrote, where it wrote it, and on which sides it destroyed it, so
// the end can tell which contents must still exist somewhere. See docs/reliability.md for its rules.
import type { RunClock } from './clock.js';
import { other, realCopySha, sha, type Side, type SoakPair } from './sides.js';

/** One content the driver wrote. Contents are unique (a header with a sequence number). */
export interface Content {
  sha: string;
  pair: string;
  side: Side;
  /** Every path the driver wrote it to or renamed it to. */
  paths: Set<string>;
  /** Sides where the driver overwrote or deleted it. */
  destroyedOn: Set<Side>;
  /** Sides that held a real copy of it at a moment the driver destroyed it on the other side. */
  copyOn: Set<Side>;
  history: string[];
}

export class Ledger {
  private readonly contents = new Map<string, Content>();

  constructor(private readonly clock: RunClock) {}

  get size(): number {
    return this.contents.size;
  }

  values(): IterableIterator<Content> {
    return this.contents.values();
  }

  recordWrite(sp: SoakPair, side: Side, rel: string, content: Buffer, how: string): void {
    const h = sha(content);
    this.contents.set(h, {
      sha: h,
      pair: sp.name,
      side,
      paths: new Set([rel]),
      destroyedOn: new Set(),
      copyOn: new Set(),
      history: [`${this.clock.since()} ${how} ${side}:${rel}`],
    });
  }

  /**
   * The driver destroyed `h` on `side` (overwrite or delete at `rel`). `h` is then required to survive
   * somewhere if the other side held a real copy at that moment (lazysync had synced it, so the change it
   * propagates must keep that copy as a version), unless the driver destroys that copy too.
   */
  async recordDestroy(sp: SoakPair, side: Side, rel: string, h: string, how: string): Promise<void> {
    const c = this.contents.get(h);
    if (c === undefined) return; // not ours (e.g. a partial write of an op that failed)
    c.destroyedOn.add(side);
    const otherCopy = await realCopySha(sp, other(side), rel);
    if (otherCopy === h) c.copyOn.add(other(side));
    c.history.push(
      `${this.clock.since()} ${how} ${side}:${rel}${otherCopy === h ? ` (copy on ${other(side)})` : ''}`,
    );
  }

  /** The driver renamed the file holding `h` (if it is one of ours) from `from` to `to` on `side`. */
  recordRename(h: string | undefined, side: Side, from: string, to: string): void {
    const c = h === undefined ? undefined : this.contents.get(h);
    if (c !== undefined) {
      c.paths.add(to);
      c.history.push(`${this.clock.since()} renamed ${side}:${from} -> ${to}`);
    }
  }
}
