// Registers `daemon` and `start`; their code (the engine, SQLite, the server) loads only when they run.
import type { Command } from 'commander';
import type { DaemonFlags } from './daemon.js';

export function registerDaemonCommands(program: Command, setCode: (code: number) => void): void {
  const common = (cmd: Command): Command =>
    cmd
      .option(
        '--config <file>',
        `config file listing the pairs (default ~/.config/lazysync/config.toml, or under $XDG_CONFIG_HOME)`,
      )
      .option(
        '--socket <path>',
        'control socket (default $LAZYSYNC_SOCKET, else $XDG_RUNTIME_DIR/lazysync/daemon.sock)',
      )
      .option('--log-level <level>', 'log detail: trace, debug, info, warn, error')
      .option('--log-file <file>', 'also write JSON logs to this file')
      .exitOverride()
      .configureOutput({ outputError: () => undefined });
  common(
    program
      .command('daemon')
      .description('serve every pair of the config file in the foreground (for systemd)'),
  ).action(async (flags: DaemonFlags) => setCode(await (await import('./daemon.js')).daemonCommand(flags)));
  common(
    program.command('start').description('start the daemon in the background; returns once it answers'),
  ).action(async (flags: DaemonFlags) => setCode(await (await import('./daemon.js')).startCommand(flags)));
}
