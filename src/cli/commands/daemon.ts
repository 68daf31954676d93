// `lazysync daemon`: every pair of the config file, served in the foreground (for systemd). Its code (the
// engine, SQLite, the server) loads only when it runs.
import path from 'node:path';
import type { Command } from 'commander';
import { resolveSocketPath } from '../../daemon/socket.js';
import { createLogger, type LogLevel } from '../../log.js';
import { PAIR_OPTIONS, parseArg } from '../../pair-options.js';
import { subcommand, type SetCode } from '../command.js';

export interface DaemonFlags {
  config?: string;
  socket?: string;
  logLevel?: string;
  logFile?: string;
}

/** The flags of `daemon`, which `start` passes on to it. */
export function withDaemonFlags(cmd: Command): Command {
  return cmd
    .option(
      '--config <file>',
      `config file listing the pairs (default ~/.config/lazysync/config.toml, or under $XDG_CONFIG_HOME)`,
    )
    .option(
      '--socket <path>',
      'control socket (default $LAZYSYNC_SOCKET, else $XDG_RUNTIME_DIR/lazysync/daemon.sock)',
    )
    .option('--log-level <level>', 'log detail: trace, debug, info, warn, error')
    .option('--log-file <file>', 'also write JSON logs to this file');
}

export function register(program: Command, setCode: SetCode): void {
  withDaemonFlags(
    subcommand(program, 'daemon', 'serve every pair of the config file in the foreground (for systemd)'),
  ).action(async (flags: DaemonFlags) => setCode(await daemonCommand(flags)));
}

function logLevelOf(flag: string | undefined, fromFile: LogLevel | undefined): LogLevel {
  if (flag === undefined) return fromFile ?? 'info';
  return parseArg(PAIR_OPTIONS.logLevel, flag);
}

export async function daemonCommand(flags: DaemonFlags): Promise<number> {
  const [{ defaultConfigPath, loadConfigFile }, { Daemon }, { PairRunner }] = await Promise.all([
    import('../../config-file.js'),
    import('../../daemon/daemon.js'),
    import('../../engine/runner.js'),
  ]);
  const configPath = path.resolve(flags.config ?? defaultConfigPath());
  const file = loadConfigFile(configPath);
  const log = createLogger({
    level: logLevelOf(flags.logLevel, file.logLevel),
    ...(flags.logFile !== undefined ? { file: path.resolve(flags.logFile) } : {}),
  });
  const daemon = await Daemon.start({
    socket: resolveSocketPath(flags.socket),
    configPath,
    pairs: file.pairs,
    log,
    persist: true,
    createRunner: (name, cfg, runnerLog) => new PairRunner(name, cfg, runnerLog),
  });
  await daemon.waitUntilStopped();
  return 0;
}
