// Registers `lazysync demo`; its code (sshd, sshfs, the daemon) loads only when it runs.
import { Option, type Command } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { subcommand } from './commands.js';

interface DemoFlags {
  dir?: string;
  keep?: boolean;
  socket?: string;
  logLevel?: LogLevel;
}

export function registerDemoCommand(program: Command, setCode: (code: number) => void): void {
  subcommand(
    program,
    'demo',
    'see lazysync work with nothing set up: a sample sshfs remote on 127.0.0.1, synced lazily until Ctrl-C',
  )
    .option('--dir <folder>', 'where to put the server, mount and local folders (default: a new temp folder)')
    .option('--keep', 'leave the folder in place after stopping')
    .option('--socket <path>', 'serve the control API here (default: where `lazysync status` looks)')
    .addOption(new Option('--log-level <level>', 'log detail').choices([...LOG_LEVELS]).default('info'))
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import('../demo/demo.js');
      setCode(await runDemo(flags));
    });
}
