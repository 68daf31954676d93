// `lazysync run` without a control API: one pair's runner in the foreground until SIGINT/SIGTERM.
import type { PairConfig } from '../config.js';
import type { Logger } from '../log.js';
import { Pair } from './pair.js';
import { PairRunner } from './runner.js';

export async function runLoop(cfg: PairConfig, log: Logger): Promise<number> {
  if (cfg.dryRun) {
    const pair = await Pair.open(cfg, log, true);
    try {
      await pair.pass({
        dryRun: true,
        confirmDeletes: cfg.confirmDeletes,
        print: (l) => process.stdout.write(`${l}\n`),
      });
    } finally {
      pair.close();
    }
    return 0;
  }
  const runner = new PairRunner('pair', cfg, log);
  await runner.start();
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => (): void => {
      log.info(`${sig}: finishing the action in flight, then exiting`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = onSignal('SIGTERM');
    const onInt = onSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await runner.stop();
  return 0;
}
