// `lazysync start`: the daemon in the background, with its output in a log file; returns once it answers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { probeSocket, resolveSocketPath } from '../../daemon/socket.js';
import { LazysyncError } from '../../errors.js';
import { subcommand, type SetCode } from '../command.js';
import { withDaemonFlags, type DaemonFlags } from './daemon.js';
import { binPath } from './service.js';

export function register(program: Command, setCode: SetCode): void {
  withDaemonFlags(
    subcommand(program, 'start', 'start the daemon in the background; returns once it answers'),
  ).action(async (flags: DaemonFlags) => setCode(await startCommand(flags)));
}

/** Where `lazysync start` sends the daemon's output: $XDG_STATE_HOME/lazysync/daemon.log. */
function defaultDaemonLog(): string {
  const state = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'lazysync', 'daemon.log');
}

export async function startCommand(flags: DaemonFlags): Promise<number> {
  const socket = resolveSocketPath(flags.socket);
  if ((await probeSocket(socket)) === 'answering') {
    process.stdout.write(`a lazysync daemon is already running on ${socket}\n`);
    return 0;
  }
  const logFile = path.resolve(flags.logFile ?? defaultDaemonLog());
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const args = [binPath(), 'daemon', '--socket', socket];
  if (flags.config !== undefined) args.push('--config', path.resolve(flags.config));
  if (flags.logLevel !== undefined) args.push('--log-level', flags.logLevel);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await probeSocket(socket)) === 'answering') {
      process.stdout.write(`lazysync daemon started (pid ${child.pid}) on ${socket}; log: ${logFile}\n`);
      return 0;
    }
    if (exited !== undefined) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
      throw new LazysyncError('io', `the daemon exited at start (code ${exited}): ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LazysyncError('io', `the daemon did not answer on ${socket} within 30 s; see ${logFile}`);
}
