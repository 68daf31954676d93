// The foreground loop for one pair: a pass every interval; pauses while the remote is unavailable and
// resumes by itself; SIGINT/SIGTERM finish the action in flight and exit 0.
import type { PairConfig } from '../config.js';
import type { Logger } from '../log.js';
import { OnDemand } from './on-demand.js';
import { Pair, type PassOutcome } from './pair.js';

/** How often an unavailable remote is checked again, at most. */
const UNAVAILABLE_RETRY_S = 2;

class Stopper {
  stopped = false;
  /** A pass was asked for (local change, write-through...): the next sleep returns at once. */
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
  /** Sleeps `seconds`, or less if stopped. */
  sleep(seconds: number): Promise<void> {
    if (this.stopped || this.nudged) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, seconds * 1000);
      const wake = (): void => done();
      this.wake = wake;
      function done(): void {
        clearTimeout(t);
        resolve();
      }
    });
  }
}

export async function runLoop(cfg: PairConfig, log: Logger): Promise<number> {
  const stopper = new Stopper();
  const onSignal = (sig: string) => () => {
    log.info(`${sig}: finishing the action in flight, then exiting`);
    stopper.stop();
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    return await loop(cfg, log, stopper);
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}

async function loop(cfg: PairConfig, log: Logger, stopper: Stopper): Promise<number> {
  const pair = await Pair.open(cfg, log, cfg.dryRun);
  let onDemand: OnDemand | undefined;
  try {
    if (cfg.dryRun) {
      await pair.pass({
        dryRun: true,
        confirmDeletes: cfg.confirmDeletes,
        print: (l) => process.stdout.write(`${l}\n`),
      });
      return 0;
    }
    log.info(
      `syncing ${cfg.remote} <-> ${cfg.local} (${cfg.lazy ? 'lazy' : 'eager'}), a pass every ${cfg.interval}s`,
    );
    onDemand = new OnDemand({
      cfg,
      localRoot: pair.localRoot,
      remoteRoot: pair.remoteRoot,
      log,
      archive: pair.archive,
      executor: pair.executor,
      serial: pair.serial,
      touched: pair.touched,
      isPinned: pair.isPinned,
      isOwnLocalWrite: (p) => pair.isOwnLocalWrite(p),
      requestPass: (reason) => {
        log.debug(`pass requested: ${reason}`);
        stopper.nudge();
      },
    });
    await onDemand.start();
    const od = onDemand;
    pair.onPlaceholder = (p) => od.beforePlaceholder(p);
    let lastState = '';
    while (!stopper.stopped) {
      stopper.nudged = false;
      const outcome = await pair.pass({
        dryRun: false,
        confirmDeletes: cfg.confirmDeletes,
        stopping: () => stopper.stopped,
      });
      if (outcome.status === 'done') await onDemand.afterPass();
      const state = describe(outcome);
      if (state !== lastState || outcome.status === 'done') logOutcome(log, outcome, state !== lastState);
      lastState = state;
      await stopper.sleep(
        outcome.status === 'remote-unavailable' ? Math.min(cfg.interval, UNAVAILABLE_RETRY_S) : cfg.interval,
      );
    }
    return 0;
  } finally {
    onDemand?.close();
    await onDemand?.idle();
    pair.close();
  }
}

function describe(o: PassOutcome): string {
  if (o.status === 'done') return 'syncing';
  if (o.status === 'remote-unavailable') return `remote unavailable: ${o.reason}`;
  return `waiting for confirmation: ${o.message}`;
}

function logOutcome(log: Logger, o: PassOutcome, changed: boolean): void {
  switch (o.status) {
    case 'remote-unavailable':
      log.warn(
        `paused: remote unavailable: ${o.reason}; nothing is deleted, syncing resumes when it is back`,
      );
      return;
    case 'waiting-confirm':
      log.error(`paused: ${o.message}`);
      return;
    case 'done': {
      if (changed) log.info('remote available; syncing');
      const c = o.counts;
      const applied = c.downloaded + c.placeholders + c.uploaded + c.created + c.removed + c.conflicts;
      if (applied > 0 || o.problems > 0) {
        log.info(
          { ...c, problems: o.problems },
          `pass: ${c.downloaded} downloaded, ${c.placeholders} placeholders, ${c.uploaded} uploaded, ${c.created} created, ${c.removed} removed, ${c.conflicts} conflicts, ${o.problems} problems`,
        );
      }
      for (const line of o.conflicts) log.warn(`conflict: ${line}`);
    }
  }
}
