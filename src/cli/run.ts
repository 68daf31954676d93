// `lazysync run` (and the legacy `lazysync -r R -l L`): the foreground loop until SIGINT/SIGTERM.
import { pairConfigFrom, type RawOptions } from '../config.js';
import { runLoop } from '../engine/loop.js';
import { createLogger } from '../log.js';

export async function runCommand(opts: RawOptions): Promise<number> {
  const cfg = pairConfigFrom(opts, false);
  const log = createLogger({
    level: cfg.logLevel,
    ...(cfg.logFile !== undefined ? { file: cfg.logFile } : {}),
  });
  return runLoop(cfg, log);
}
