// The client commands on the root program: each one parses, calls its module (src/cli/NAME.ts), sets the code.
import type { Command } from 'commander';
import { LOG_LEVELS } from '../log.js';
import { addCommand, type AddOptions } from './add.js';
import { conflictsCommand } from './conflicts.js';
import { doctorCommand, type DoctorOptions } from './doctor.js';
import { freeCommand } from './free.js';
import { logLevelCommand } from './log-level.js';
import { bwlimitCommand } from './bwlimit.js';
import { pauseCommand } from './pause.js';
import { pinCommand } from './pin.js';
import { removeCommand } from './remove.js';
import { rescanCommand } from './rescan.js';
import { restoreCommand, type RestoreOptions } from './restore.js';
import { resumeCommand, type ResumeOptions } from './resume.js';
import { serviceInstallCommand, type ServiceOptions } from './service.js';
import { statusCommand, type StatusOptions } from './status.js';
import { stopCommand } from './stop.js';
import { unpinCommand } from './unpin.js';
import { versionsCommand } from './versions.js';
import { addPairFlags, pairFlag } from './pair-flags.js';

interface SocketOption {
  socket?: string;
}

/** A subcommand whose usage errors throw (exit 2, one line), as every command of the program does. */
export function subcommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent
    .command(nameAndArgs)
    .description(description)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
}

/** A subcommand that talks to the daemon: it takes `--socket PATH`. */
function clientCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return subcommand(parent, nameAndArgs, description).option(
    '--socket <path>',
    "the daemon's control socket (default: $LAZYSYNC_SOCKET, else $XDG_RUNTIME_DIR/lazysync/daemon.sock)",
  );
}

export function registerClientCommands(program: Command, setCode: (code: number) => void): void {
  clientCommand(program, 'status [pair]', 'show each pair: state, last pass, counts, transfers')
    .option('--json', 'print the API answer as JSON (stable, for scripts)')
    .option('--watch', 'redraw every second and on every change, until Ctrl-C')
    .action(async (pair: string | undefined, opts: StatusOptions) =>
      setCode(await statusCommand(pair, opts)),
    );

  addPairFlags(
    addPairFlags(
      clientCommand(program, 'add', 'add a pair to the daemon (saved to its config file) and start it'),
      'add',
      'folders',
    ).option('--name <name>', "the pair's name (default: the local folder's name)"),
    'add',
    'options',
  ).action(async (opts: AddOptions) => setCode(await addCommand(opts)));

  clientCommand(
    program,
    'remove <pair>',
    'stop a pair and remove it from the config file (files stay)',
  ).action(async (pair: string, opts: SocketOption) => setCode(await removeCommand(pair, opts)));

  clientCommand(program, 'pause [pair]', 'pause a pair (default: every pair)').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await pauseCommand(pair, opts)),
  );

  clientCommand(program, 'resume [pair]', 'resume a pair (default: every pair)')
    .option('--confirm-deletes', 'apply a pass that waits for delete confirmation')
    .action(async (pair: string | undefined, opts: ResumeOptions) =>
      setCode(await resumeCommand(pair, opts)),
    );

  clientCommand(program, 'rescan [pair]', 'start a full pass now (default: every pair)').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await rescanCommand(pair, opts)),
  );

  clientCommand(program, 'pin <path...>', 'download now and always keep local (files or folders)').action(
    async (paths: string[], opts: SocketOption) => setCode(await pinCommand(paths, opts)),
  );

  clientCommand(program, 'unpin <path...>', 'stop keeping paths local (they may become placeholders)').action(
    async (paths: string[], opts: SocketOption) => setCode(await unpinCommand(paths, opts)),
  );

  clientCommand(program, 'free <path...>', 'turn clean local copies back into placeholders').action(
    async (paths: string[], opts: SocketOption) => setCode(await freeCommand(paths, opts)),
  );

  clientCommand(program, 'versions <path>', 'list the kept versions of a path on both sides').action(
    async (p: string, opts: SocketOption) => setCode(await versionsCommand(p, opts)),
  );

  clientCommand(program, 'restore <path>', 'put a kept version back (the current content is kept first)')
    .option('--at <stamp>', 'the version to restore, as YYYYMMDD-HHMMSS (default: the newest)')
    .action(async (p: string, opts: RestoreOptions) => setCode(await restoreCommand(p, opts)));

  clientCommand(program, 'conflicts [pair]', 'list the conflict copies present').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await conflictsCommand(pair, opts)),
  );

  clientCommand(
    program,
    'log-level <level> [pair]',
    `set the log detail at run time: ${LOG_LEVELS.join(', ')}`,
  ).action(async (level: string, pair: string | undefined, opts: SocketOption) =>
    setCode(await logLevelCommand(level, pair, opts)),
  );

  clientCommand(
    program,
    'bwlimit <rate> [pair]',
    'limit transfers to RATE bytes/s (e.g. 4M; 0 or off: no limit)',
  ).action(async (rate: string, pair: string | undefined, opts: SocketOption) =>
    setCode(await bwlimitCommand(rate, pair, opts)),
  );

  clientCommand(program, 'stop', 'ask the daemon to finish the file in flight and exit').action(
    async (opts: SocketOption) => setCode(await stopCommand(opts)),
  );

  subcommand(program, 'doctor', 'probe what the mounted remote can do and print the mount options to use')
    .addOption(pairFlag('remote'))
    .action(async (opts: DoctorOptions) => setCode(await doctorCommand(opts)));

  const service = subcommand(program, 'service', 'the systemd user unit');
  subcommand(service, 'install', 'write the systemd user unit for `lazysync daemon` and say how to enable it')
    .option('--print', 'only print the unit, write nothing')
    .action((opts: ServiceOptions) => setCode(serviceInstallCommand(opts)));
}
