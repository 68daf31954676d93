// The foreground loop for one pair: a pass every interval; pauses while the remote is unavailable and
// resumes by itself; SIGINT/SIGTERM finish the action in flight and exit 0.
import type { PairConfig } from '../config.js';
import type { Logger } from '../log.js';
import { Pair, type PassOutcome } from './pair.js';

/** How often an unavailable remote is checked again, at most. */
const UNAVAILABLE_RETRY_S = 2;

class Stopper {
  stopped = false;
  private wake: (() => void) | undefined;
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
  /** Sleeps `seconds`, or less if stopped. */
  sleep(seconds: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
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
  try {
    log.info(
      `syncing ${cfg.remote} <-> ${cfg.local} (${cfg.lazy ? 'lazy' : 'eager'}), a pass every ${cfg.interval}s`,
    );
    let lastState = '';
    while (!stopper.stopped) {
      const outcome = await pair.pass({
        dryRun: cfg.dryRun,
        confirmDeletes: cfg.confirmDeletes,
        print: (line) => process.stdout.write(`${line}\n`),
        stopping: () => stopper.stopped,
      });
      if (cfg.dryRun) break;
      const state = describe(outcome);
      if (state !== lastState || outcome.status === 'done') logOutcome(log, outcome, state !== lastState);
      lastState = state;
      await stopper.sleep(
        outcome.status === 'remote-unavailable' ? Math.min(cfg.interval, UNAVAILABLE_RETRY_S) : cfg.interval,
      );
    }
    return 0;
  } finally {
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
