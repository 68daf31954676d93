// The `lazysync` program: parses argv with commander, maps errors to exit codes (0 ok, 1 runtime, 2 usage).
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { LazysyncError, messageOf } from '../errors.js';
import type { RawOptions } from '../pair-options.js';
import { addPairFlags } from './pair-flags.js';
import { registerDaemonCommands } from './daemon-commands.js';
import { registerClientCommands } from './commands.js';
import { registerDemoCommand } from './demo.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('lazysync');
  program
    .description('Two-way, lazy sync between a slow mounted network folder and a fast local folder.')
    .version(pkg.version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  addPairFlags(program, 'run')
    .usage('[-r REMOTE -l LOCAL [options]] | <command> [options]')
    .action(async (opts: RawOptions) => {
      if (opts.remote === undefined && opts.local === undefined) {
        program.outputHelp();
        setCode(2);
        return;
      }
      setCode(await (await import('./daemon.js')).runCommand(opts));
    });

  addPairFlags(program.command('sync').description('run one reconciliation pass, then exit'), 'sync')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .action(async (opts: RawOptions) => setCode(await (await import('./sync.js')).syncCommand(opts)));

  addPairFlags(
    program
      .command('run')
      .description('sync one pair in the foreground (a daemon with one pair), until SIGINT/SIGTERM'),
    'run',
  )
    .option('--socket <path>', 'serve the control API here (default as for the daemon)')
    .option('--name <name>', "the pair's name in the control API (default: the local folder's name)")
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .action(async (opts: RawOptions) => setCode(await (await import('./daemon.js')).runCommand(opts)));

  registerDaemonCommands(program, setCode);
  registerClientCommands(program, setCode);
  registerDemoCommand(program, setCode);

  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // A command that needs a subcommand (`lazysync service`) got none: its help is already on stderr.
      if (e.code === 'commander.help') return 2;
      process.stderr.write(`lazysync: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof LazysyncError) {
      process.stderr.write(`lazysync: ${e.message}\n`);
      return e.code === 'usage' ? 2 : 1;
    }
    process.stderr.write(`lazysync: ${messageOf(e)}\n`);
    return 1;
  }
}
