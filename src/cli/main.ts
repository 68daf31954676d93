// The `lazysync` program: its commands (one module each, in ./commands/), parsing argv with commander, and
// the mapping of errors to exit codes (0 ok, 1 runtime, 2 usage).
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { LazysyncError, messageOf } from '../errors.js';
import type { SetCode } from './command.js';
import * as add from './commands/add.js';
import * as bwlimit from './commands/bwlimit.js';
import * as conflicts from './commands/conflicts.js';
import * as daemon from './commands/daemon.js';
import * as deleted from './commands/deleted.js';
import * as demo from './commands/demo.js';
import * as doctor from './commands/doctor.js';
import * as free from './commands/free.js';
import * as logLevel from './commands/log-level.js';
import * as pause from './commands/pause.js';
import * as pin from './commands/pin.js';
import * as prune from './commands/prune.js';
import * as remove from './commands/remove.js';
import * as rescan from './commands/rescan.js';
import * as restore from './commands/restore.js';
import * as resume from './commands/resume.js';
import * as run from './commands/run.js';
import * as service from './commands/service.js';
import * as start from './commands/start.js';
import * as status from './commands/status.js';
import * as stop from './commands/stop.js';
import * as sync from './commands/sync.js';
import * as unpin from './commands/unpin.js';
import * as versions from './commands/versions.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** The commands, each defined in its own module, in the order `--help` lists them. */
const COMMANDS: { register(program: Command, setCode: SetCode): void }[] = [
  sync,
  run,
  daemon,
  start,
  status,
  add,
  remove,
  pause,
  resume,
  rescan,
  pin,
  unpin,
  free,
  versions,
  restore,
  deleted,
  prune,
  conflicts,
  logLevel,
  bwlimit,
  stop,
  doctor,
  service,
  demo,
];

function buildProgram(setCode: SetCode): Command {
  const program = new Command('lazysync');
  program
    .description('Two-way, lazy sync between a slow mounted network folder and a fast local folder.')
    .version(pkg.version, '-V, --version')
    .usage('[-r REMOTE -l LOCAL [options]] | <command> [options]')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  run.registerOnProgram(program, setCode);
  for (const command of COMMANDS) command.register(program, setCode);
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
