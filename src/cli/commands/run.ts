// `lazysync run` (and the program itself given -r and -l): one pair in the foreground, as a daemon with one
// pair that serves the control API, until SIGINT/SIGTERM. Its code (the engine, SQLite, the server) loads
// only when it runs.
import path from 'node:path';
import type { Command } from 'commander';
import { pairConfigFrom } from '../../config.js';
import type { Daemon } from '../../daemon/daemon.js';
import { DaemonRunningError, resolveSocketPath } from '../../daemon/socket.js';
import { createLogger } from '../../log.js';
import type { RawOptions } from '../../pair-options.js';
import { subcommand, type SetCode } from '../command.js';
import { addPairFlags } from '../pair-flags.js';

export type RunOptions = RawOptions & { socket?: string; name?: string };

export function register(program: Command, setCode: SetCode): void {
  addPairFlags(
    subcommand(
      program,
      'run',
      'sync one pair in the foreground (a daemon with one pair), until SIGINT/SIGTERM',
    ),
    'run',
  )
    .option('--socket <path>', 'serve the control API here (default as for the daemon)')
    .option('--name <name>', "the pair's name in the control API (default: the local folder's name)")
    .action(async (opts: RunOptions) => setCode(await runCommand(opts)));
}

/** The program itself takes run's pair flags: `lazysync -r R -l L` runs the pair; without them, the help. */
export function registerOnProgram(program: Command, setCode: SetCode): void {
  addPairFlags(program, 'run').action(async (opts: RawOptions) => {
    if (opts.remote === undefined && opts.local === undefined) {
      program.outputHelp();
      setCode(2);
      return;
    }
    setCode(await runCommand(opts));
  });
}

/**
 * `lazysync run`: the daemon with one pair from the flags, serving the control API too. If another daemon
 * already serves the default socket (and no --socket was given), the pair still runs, without an API.
 */
export async function runCommand(opts: RunOptions): Promise<number> {
  const cfg = pairConfigFrom(opts, false);
  const [{ Daemon }, { runLoop }, { PairRunner }] = await Promise.all([
    import('../../daemon/daemon.js'),
    import('../../engine/loop.js'),
    import('../../engine/runner.js'),
  ]);
  const log = createLogger({
    level: cfg.logLevel,
    ...(cfg.logFile !== undefined ? { file: cfg.logFile } : {}),
  });
  if (cfg.dryRun) return runLoop(cfg, log);
  const explicit = opts.socket !== undefined || process.env.LAZYSYNC_SOCKET !== undefined;
  const socket = resolveSocketPath(opts.socket);
  const name = opts.name ?? (path.basename(cfg.local) || 'pair');
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      socket,
      pairs: [{ name, cfg }],
      log,
      persist: false,
      createRunner: (pairName, pairCfg, pairLog) => new PairRunner(pairName, pairCfg, pairLog),
    });
  } catch (e) {
    if (explicit || !(e instanceof DaemonRunningError)) throw e;
    log.warn(`${e.message}: running this pair without a control API (use --socket to give it one)`);
    return runLoop(cfg, log);
  }
  // With a single pair, a pair that cannot start (e.g. already synced by another process) is the failure.
  const failed = (await daemon.whenStarted())[0];
  if (failed !== undefined) {
    await daemon.shutdown();
    throw failed.error;
  }
  await daemon.waitUntilStopped();
  return 0;
}
