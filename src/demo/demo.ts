// `lazysync demo`: lazysync at work with nothing set up beforehand. A private sshd on 127.0.0.1 serves a
// folder of sample files, sshfs mounts it, and one pair runs against the mount in the foreground, in lazy
// mode, through the same daemon `lazysync run` starts. Ctrl-C (or SIGTERM, or `lazysync stop`) stops the
// pair, unmounts, stops sshfs and sshd by their PIDs and removes the demo's folder; a second Ctrl-C forces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pairConfigFrom } from '../config.js';
import { Daemon } from '../daemon/daemon.js';
import { readPidFile, removePidFile } from '../daemon/pid.js';
import { probeSocket, resolveSocketPath } from '../daemon/socket.js';
import { PairRunner } from '../engine/runner.js';
import type { PairStatus } from '../engine/runner-api.js';
import { LazysyncError, messageOf } from '../errors.js';
import { createLogger, type LogLevel } from '../log.js';
import { pollUntil } from './children.js';
import { cliCommand, readyText } from './instructions.js';
import { fsTypeAt, startLoopbackRemote, type LoopbackRemote } from './loopback-remote.js';
import { checkPrerequisites } from './prerequisites.js';
import { writeSamples } from './samples.js';

export interface DemoOptions {
  /** Where to put everything (must not exist, or be empty); default a new temp folder. */
  dir?: string;
  /** Leave the folder (server and local side) in place after stopping. */
  keep?: boolean;
  /** The control socket; default the one `lazysync status` finds, unless another daemon holds it. */
  socket?: string;
  logLevel?: LogLevel;
}

/** Seconds between whole passes: short, so changes made on the server show up while the user watches. */
const DEMO_INTERVAL_SECONDS = 5;
/**
 * sshfs keeps its usual caches (as users mount it) with a shorter directory cache, so a server-side
 * change is seen within a pass or two instead of sshfs's default 20 s. `reconnect` as recommended to users.
 */
const DEMO_SSHFS_OPTIONS = ['reconnect', `dcache_timeout=${DEMO_INTERVAL_SECONDS}`];
const PAIR_NAME = 'demo';
const FIRST_PASS_TIMEOUT_MS = 120_000;

export interface DemoLayout {
  /** Everything the demo makes is below this folder. */
  base: string;
  server: string;
  mount: string;
  local: string;
  ssh: string;
  /** The socket used when the default one is taken. */
  ownSocket: string;
}

export function demoLayout(base: string): DemoLayout {
  return {
    base,
    server: path.join(base, 'server'),
    mount: path.join(base, 'mnt'),
    local: path.join(base, 'local'),
    ssh: path.join(base, 'ssh'),
    ownSocket: path.join(base, 'run', 'daemon.sock'),
  };
}

/** Makes the demo's folder; `created` says whether the folder itself is ours to remove (else its contents). */
function makeBase(dir: string | undefined): { base: string; created: boolean } {
  if (dir === undefined) {
    return { base: fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-demo-'))), created: true };
  }
  const wanted = path.resolve(dir);
  const st = fs.statSync(wanted, { throwIfNoEntry: false });
  if (st === undefined) {
    fs.mkdirSync(wanted, { recursive: true, mode: 0o700 });
    return { base: fs.realpathSync(wanted), created: true };
  }
  if (!st.isDirectory()) throw new LazysyncError('usage', `--dir ${wanted} is not a folder`);
  if (fs.readdirSync(wanted).length > 0) {
    throw new LazysyncError('usage', `--dir ${wanted} is not empty: give a new or empty folder`);
  }
  return { base: fs.realpathSync(wanted), created: false };
}

/**
 * The socket to serve on, and the one to name in the printed `status` command when `status` alone would
 * not find it: the default one unless a daemon already answers there.
 */
async function chooseSocket(
  flag: string | undefined,
  own: string,
): Promise<{ socket: string; name?: string }> {
  const dflt = resolveSocketPath();
  if (flag !== undefined) {
    const socket = path.resolve(flag);
    return socket === dflt ? { socket } : { socket, name: socket };
  }
  const state = await probeSocket(dflt).catch(() => 'answering' as const);
  return state === 'answering' ? { socket: own, name: own } : { socket: dflt };
}

function whichLazysync(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      return fs.realpathSync(path.join(dir, 'lazysync'));
    } catch {
      // not here
    }
  }
  return undefined;
}

function thisScript(): string {
  const script = process.argv[1] ?? 'lazysync';
  try {
    return fs.realpathSync(script);
  } catch {
    return path.resolve(script);
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  checkPrerequisites();
  const { base, created } = makeBase(opts.dir);
  const layout = demoLayout(base);
  const keep = opts.keep === true;

  let remote: LoopbackRemote | undefined;
  let daemon: Daemon | undefined;
  let served: string | undefined;
  let cleaned = false;
  let stopRequested = false;
  let wakeStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (wakeStop = resolve));

  /** Removes the demo's folder, but never while the mount is still there (that would reach the server). */
  const removeFiles = (): string => {
    if (keep) return `its files stay in ${base}`;
    if (fsTypeAt(layout.mount) !== undefined) return `${layout.mount} is still mounted, so ${base} stays`;
    if (created) fs.rmSync(base, { recursive: true, force: true });
    else
      for (const e of fs.readdirSync(base)) fs.rmSync(path.join(base, e), { recursive: true, force: true });
    return `removed ${base}`;
  };
  const forceCleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    remote?.stopNow();
    try {
      // The daemon had no time to close its socket: remove it, unless another daemon has taken it since.
      if (served !== undefined && readPidFile(served) === process.pid) {
        fs.rmSync(served, { force: true });
        removePidFile(served);
      }
      removeFiles();
    } catch {
      // Exiting anyway; what is left is in a temp folder.
    }
  };
  const onSignal = (sig: NodeJS.Signals) => (): void => {
    if (stopRequested) {
      process.stderr.write(`lazysync demo: ${sig} again: forcing (unmounting, killing sshfs and sshd)\n`);
      forceCleanup();
      process.exit(130);
    }
    stopRequested = true;
    process.stderr.write(
      `lazysync demo: ${sig}: stopping the pair, unmounting, stopping sshfs and sshd (again to force)\n`,
    );
    wakeStop();
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  process.on('exit', forceCleanup);

  try {
    fs.mkdirSync(layout.server);
    fs.mkdirSync(layout.mount);
    writeSamples(layout.server);
    say(
      `lazysync demo: sample files in ${layout.server}; starting sshd on 127.0.0.1 and mounting it with sshfs`,
    );
    remote = await startLoopbackRemote({
      sshDir: layout.ssh,
      serverDir: layout.server,
      mountDir: layout.mount,
      sshfsOptions: DEMO_SSHFS_OPTIONS,
    });
    if (stopRequested) return 0;

    const level = opts.logLevel ?? 'info';
    const cfg = pairConfigFrom(
      {
        remote: layout.mount,
        local: layout.local,
        lazy: 'y',
        interval: String(DEMO_INTERVAL_SECONDS),
        logLevel: level,
      },
      false,
    );
    const log = createLogger({ level });
    const { socket, name: socketToName } = await chooseSocket(opts.socket, layout.ownSocket);
    daemon = await Daemon.start({
      socket,
      pairs: [{ name: PAIR_NAME, cfg }],
      log,
      persist: false,
      createRunner: (n, c, l) => new PairRunner(n, c, l),
      handleSignals: false,
    });
    served = socket;
    const running = daemon;
    const failed = (await running.whenStarted())[0];
    if (failed !== undefined) throw failed.error;

    let status: PairStatus | undefined;
    const passed = await pollUntil(() => {
      status = running.runner(PAIR_NAME)?.status();
      return stopRequested || (status?.lastPass ?? null) !== null || status?.state === 'error';
    }, FIRST_PASS_TIMEOUT_MS);
    if (stopRequested) return 0;
    if (!passed || status?.state === 'error') {
      throw new LazysyncError(
        'io',
        `the demo pair did not finish its first pass (state ${status?.state ?? 'unknown'}${status?.reason ? `: ${status.reason}` : ''})`,
      );
    }
    say(
      readyText({
        local: layout.local,
        server: layout.server,
        port: remote.port,
        cli: cliCommand(thisScript(), whichLazysync()),
        ...(socketToName !== undefined ? { socket: socketToName } : {}),
        serverDelaySeconds: 2 * DEMO_INTERVAL_SECONDS,
        keep,
        dir: base,
      }),
    );
    // `lazysync stop` ends the daemon too: then the demo cleans up as after a Ctrl-C.
    await Promise.race([stopSignal, running.waitUntilStopped()]);
    return 0;
  } finally {
    await daemon?.shutdown().catch((e: unknown) => process.stderr.write(`lazysync demo: ${messageOf(e)}\n`));
    await remote?.stop().catch((e: unknown) => process.stderr.write(`lazysync demo: ${messageOf(e)}\n`));
    if (!cleaned) {
      cleaned = true;
      let what: string;
      try {
        what = removeFiles();
      } catch (e) {
        what = `could not remove ${base}: ${messageOf(e)}`;
      }
      say(`lazysync demo: stopped; ${what}`);
    }
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('exit', forceCleanup);
  }
}
