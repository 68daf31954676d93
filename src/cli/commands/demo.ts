// `lazysync demo`: a sample sshfs remote synced lazily; its code (sshd, sshfs, the daemon) loads only when it runs.
import type { Command } from 'commander';
import type { LogLevel } from '../../log.js';
import { subcommand, type SetCode } from '../command.js';
import { pairFlag } from '../pair-flags.js';

interface DemoFlags {
  dir?: string;
  keep?: boolean;
  socket?: string;
  logLevel?: LogLevel;
}

export function register(program: Command, setCode: SetCode): void {
  subcommand(
    program,
    'demo',
    'see lazysync work with nothing set up: a sample sshfs remote on 127.0.0.1, synced lazily until Ctrl-C',
  )
    .option('--dir <folder>', 'where to put the server, mount and local folders (default: a new temp folder)')
    .option('--keep', 'leave the folder in place after stopping')
    .option('--socket <path>', 'serve the control API here (default: where `lazysync status` looks)')
    .addOption(pairFlag('logLevel'))
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import('../../demo/demo.js');
      setCode(await runDemo(flags));
    });
}
