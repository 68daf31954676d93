// Changes to a pair's roots, several at once: on a network mount each file costs a handful of round trips,
// so unrelated paths overlap while a path and its ancestors or descendants never do. Passes, hydrations,
// evictions and restores all queue here; operations on related paths start in the order they were queued
// (a folder's mkdir before its files, its files before its removal), urgent ones (hydrations a program is
// waiting for) ahead of the rest.
import { isWithin } from '../core/paths.js';
import type { RelPath } from '../core/types.js';

interface Waiter {
  path: RelPath;
  start: () => void;
}

function related(a: RelPath, b: RelPath): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

export class PathScheduler {
  private readonly running: RelPath[] = [];
  private readonly urgent: Waiter[] = [];
  private readonly normal: Waiter[] = [];
  private readonly belowWaiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Operations queued or running. */
  get size(): number {
    return this.running.length + this.urgent.length + this.normal.length;
  }

  /**
   * Runs `fn` once fewer than `limit` operations run, none of them on a path related to `path` (equal, above
   * or below), and no related operation queued earlier is still waiting. `urgent` ones queue ahead.
   */
  run<T>(path: RelPath, fn: () => Promise<T>, opts: { urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        path,
        start: () => {
          this.running.push(path);
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.running.splice(this.running.indexOf(path), 1);
              this.dispatch();
            });
        },
      };
      (opts.urgent === true ? this.urgent : this.normal).push(waiter);
      this.dispatch();
    });
  }

  /** Resolves once fewer than `n` operations are queued or running: a producer's bounded window. */
  whenBelow(n: number): Promise<void> {
    if (this.size < n) return Promise.resolve();
    return new Promise((resolve) => this.belowWaiters.push({ n, resolve }));
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    return this.whenBelow(1);
  }

  private dispatch(): void {
    const blocked: RelPath[] = [];
    for (const queue of [this.urgent, this.normal]) {
      for (let i = 0; i < queue.length && this.running.length < this.limit;) {
        const w = queue[i] as Waiter;
        const free =
          !this.running.some((p) => related(p, w.path)) && !blocked.some((p) => related(p, w.path));
        if (!free) {
          blocked.push(w.path);
          i++;
          continue;
        }
        queue.splice(i, 1);
        w.start();
      }
    }
    for (let i = 0; i < this.belowWaiters.length;) {
      const b = this.belowWaiters[i] as { n: number; resolve: () => void };
      if (this.size < b.n) {
        this.belowWaiters.splice(i, 1);
        b.resolve();
      } else i++;
    }
  }
}
