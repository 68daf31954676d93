// The wait, once per pass, until a check past the remote's caches can show what the server held when the
// plan was made (RemoteFacts.settleMs). docs/design.md, "A stale view never destroys".
import { setTimeout as sleep } from 'node:timers/promises';
import { LazysyncError } from '../errors.js';
import type { Logger } from '../log.js';

export class RemoteSettle {
  private until = 0;
  private stopping: (() => boolean) | undefined;
  private wait: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  /** A pass starts applying a plan made just now, on a mount whose caches show the server `ms` late. */
  start(ms: number, stopping?: () => boolean): void {
    this.until = Date.now() + ms;
    this.stopping = stopping;
    this.wait = undefined;
  }

  /**
   * Resolves once the mount's caches have run out since the plan was made; the steps of a pass share one
   * wait. On mounts whose program answers opens from its own cache (rclone, davfs2) nothing sooner can tell
   * a server edit from the view the plan was made from. Rejects if the pass is stopping meanwhile: its
   * remaining steps are left for the next pass. `kind` names the mount in the log.
   */
  settled(kind: string): Promise<void> {
    this.wait ??= this.waitOut(kind);
    return this.wait;
  }

  private async waitOut(kind: string): Promise<void> {
    const { until, stopping } = this;
    if (until <= Date.now()) return;
    this.log.info(
      `waiting ${((until - Date.now()) / 1000).toFixed(1)} s for the ${kind} mount's cache ` +
        '(it shows the server up to that late) before anything on the remote is overwritten or removed',
    );
    while (Date.now() < until) {
      if (stopping?.() === true)
        throw new LazysyncError('changed', 'the pass is stopping; left for the next one');
      await sleep(Math.min(200, until - Date.now()));
    }
  }
}
