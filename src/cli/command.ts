// What every command of the program shares: usage errors that throw (exit 2, one line), and for the commands
// that talk to the daemon, the `--socket` flag and the client of the daemon it names.
import type { Command } from 'commander';
import { resolveSocketPath } from '../daemon/socket.js';
import { ApiClient } from './client.js';

/** How a command's action hands the program its exit code. */
export type SetCode = (code: number) => void;

export interface SocketOption {
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
export function clientCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return subcommand(parent, nameAndArgs, description).option(
    '--socket <path>',
    "the daemon's control socket (default: $LAZYSYNC_SOCKET, else $XDG_RUNTIME_DIR/lazysync/daemon.sock)",
  );
}

/**
 * The client of the daemon on `--socket`, else on the default socket. It connects at its first request;
 * failing to reach the daemon is a LazysyncError saying why (none running, another user's, gone).
 */
export function daemonClient(opts: SocketOption): ApiClient {
  return new ApiClient(resolveSocketPath(opts.socket));
}
