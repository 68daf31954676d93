// `lazysync daemon` (foreground, for systemd), `lazysync start` (background, returns once it answers),
// and `lazysync run` as the same daemon with one pair from its flags.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfigPath, loadConfigFile } from '../config-file.js';
import { pairConfigFrom } from '../config.js';
import type { RawOptions } from '../pair-options.js';
import { Daemon } from '../daemon/daemon.js';
import { DaemonRunningError, probeSocket, resolveSocketPath } from '../daemon/socket.js';
import { runLoop } from '../engine/loop.js';
import { PairRunner } from '../engine/runner.js';
import { LazysyncError } from '../errors.js';
import { createLogger, LOG_LEVELS, type LogLevel, type Logger } from '../log.js';

export interface DaemonFlags {
  config?: string;
  socket?: string;
  logLevel?: string;
  logFile?: string;
}

const createRunner = (
  name: string,
  cfg: ConstructorParameters<typeof PairRunner>[1],
  log: Logger,
): PairRunner => new PairRunner(name, cfg, log);

function logLevelOf(flag: string | undefined, fromFile: LogLevel | undefined): LogLevel {
  if (flag === undefined) return fromFile ?? 'info';
  if ((LOG_LEVELS as readonly string[]).includes(flag)) return flag as LogLevel;
  throw new LazysyncError('usage', `--log-level takes one of ${LOG_LEVELS.join(', ')}, not '${flag}'`);
}

export async function daemonCommand(flags: DaemonFlags): Promise<number> {
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
    createRunner,
  });
  await daemon.waitUntilStopped();
  return 0;
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
  const bin = fileURLToPath(new URL('../../../bin/lazysync.js', import.meta.url));
  const args = [bin, 'daemon', '--socket', socket];
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

/**
 * `lazysync run`: the daemon with one pair from the flags, serving the control API too. If another daemon
 * already serves the default socket (and no --socket was given), the pair still runs, without an API.
 */
export async function runCommand(opts: RawOptions & { socket?: string; name?: string }): Promise<number> {
  const cfg = pairConfigFrom(opts, false);
  const log = createLogger({
    level: cfg.logLevel,
    ...(cfg.logFile !== undefined ? { file: cfg.logFile } : {}),
  });
  if (cfg.dryRun) return runLoop(cfg, log);
  const explicit = opts.socket !== undefined || process.env.LAZYSYNC_SOCKET !== undefined;
  const socket = resolveSocketPath(opts.socket);
  const name = opts.name ?? (path.basename(cfg.local) || 'pair');
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ socket, pairs: [{ name, cfg }], log, persist: false, createRunner });
  } catch (e) {
    if (explicit || !(e instanceof DaemonRunningError)) throw e;
    log.warn(`${e.message}: running this pair without a control API (use --socket to give it one)`);
    return runLoop(cfg, log);
  }
  // With a single pair, a pair that cannot start (e.g. already synced by another process) is the failure.
  const failed = (await daemon.whenStarted())[0];
  if (failed !== undefined) {
    await daemon.shutdown();
    throw failed.error;
  }
  await daemon.waitUntilStopped();
  return 0;
}
