// An interruptible sleep for a pair's loop: stop() ends it for good, nudge() asks for the next pass now.

export class Wakeup {
  stopped = false;
  /** A pass was asked for (rescan, local change, write-through...): the next sleep returns at once. */
  nudged = false;
  private wake: (() => void) | undefined;

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Sleeps `seconds`, or less if stopped or nudged meanwhile. */
  sleep(seconds: number): Promise<void> {
    if (this.stopped || this.nudged) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      this.wake = done;
    });
  }
}
