// One change to a pair's roots at a time: passes, hydrations and evictions queue here in arrival order, so
// a hydration requested during a long pass runs right after the action in flight, ahead of the rest.

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
