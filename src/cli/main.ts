// The `lazysync` program: parses argv with commander, maps errors to exit codes (0 ok, 1 runtime, 2 usage).
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { LazysyncError, messageOf } from '../errors.js';
import { LOG_LEVELS } from '../log.js';
import { DEFAULTS, type RawOptions } from '../config.js';
import { registerDaemonCommands } from './daemon-commands.js';
import { registerClientCommands } from './commands.js';
import { registerDemoCommand } from './demo.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The options every pair command takes. */
function pairOptions(cmd: Command, forLoop: boolean): Command {
  cmd
    .option('-r, --remote <folder>', 'the mounted remote folder')
    .option('-l, --local <folder>', 'the local folder (created if its parent exists)')
    .option(
      '-L, --lazy <y|n>',
      'y: remote files appear as placeholders until opened; n: download everything',
      'y',
    )
    .option('--ignore <pattern>', 'gitignore-style pattern to leave alone (repeatable)', collect)
    .option(
      '--max-delete <percent>',
      'stop and ask before a pass deletes more than this share of one side',
      String(DEFAULTS.maxDelete),
    )
    .option('--confirm-deletes', 'apply a pass even if it deletes more than --max-delete allows')
    .option('--dry-run', 'print the plan, one line per action, and change nothing')
    .addOption(
      new Option('--log-level <level>', 'log detail').choices([...LOG_LEVELS]).default(DEFAULTS.logLevel),
    )
    .option('--log-file <file>', 'also write JSON logs to this file')
    .option('--pin <pattern>', 'gitignore-style pattern of paths always kept local (repeatable)', collect)
    .option('--max-size <size>', 'files larger than this stay placeholders unless pinned (e.g. 100M)')
    .option(
      '--cache-max <size>',
      'turn the least recently opened clean local copies back into placeholders beyond this total',
    )
    .option('--access-detect <mode>', 'how opens of placeholders are detected: inotify or proc', 'inotify')
    .option('--bwlimit <rate>', 'bytes per second for all transfers of the pair, e.g. 4M (0: no limit)');
  if (forLoop) cmd.option('--interval <seconds>', 'seconds between full passes', String(DEFAULTS.interval));
  return cmd;
}

function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('lazysync');
  program
    .description('Two-way, lazy sync between a slow mounted network folder and a fast local folder.')
    .version(pkg.version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  pairOptions(program, true)
    .usage('[-r REMOTE -l LOCAL [options]] | <command> [options]')
    .action(async (opts: RawOptions) => {
      if (opts.remote === undefined && opts.local === undefined) {
        program.outputHelp();
        setCode(2);
        return;
      }
      setCode(await (await import('./daemon.js')).runCommand(opts));
    });

  pairOptions(program.command('sync').description('run one reconciliation pass, then exit'), false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .action(async (opts: RawOptions) => setCode(await (await import('./sync.js')).syncCommand(opts)));

  pairOptions(
    program
      .command('run')
      .description('sync one pair in the foreground (a daemon with one pair), until SIGINT/SIGTERM'),
    true,
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
