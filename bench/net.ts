// The benchmark's remote: the test fixture's private sshd + sshfs (default sshfs caching), with sshfs
// connecting through a delaying relay (bench/relay.ts, its own process) so every SFTP round trip costs
// 2 x the one-way delay. Changing the delay restarts the relay and remounts (cold caches).
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRemote, type Remote } from '../test/fixture/remote.js';

const relayScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'relay.js');

/** The relay's counters (bench/relay.ts): chunks and bytes each way, busy time, first and last chunk. */
export interface WireStats {
  /** Time with something on the delayed wire; / (2 x delay) = round trips paid one after the other. */
  busyMs: number;
  /** Chunks read from sshfs (requests, several at once when they are sent together) and from sshd. */
  up: number;
  down: number;
  upBytes: number;
  downBytes: number;
  /** When the first and the last chunk arrived, ms since the epoch; 0 if none did. */
  firstAt: number;
  lastAt: number;
}

export interface Relay {
  port: number;
  delayMs: number;
  /** The counters since the previous call (or the start), which start again from 0. */
  take(): Promise<WireStats>;
  stop(): Promise<void>;
}

/** Every relay alive in this process, killed by PID if the process exits or is signalled. */
const liveRelays = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveRelays) c.kill('SIGKILL');
});

export async function startRelay(targetPort: number, delayMs: number): Promise<Relay> {
  const child = spawn(process.execPath, [relayScript, String(targetPort), String(delayMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  liveRelays.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => liveRelays.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Every line after the first answers one `take`, in order.
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((l: string) => void)[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      lines.once('line', (l) => {
        lines.on('line', (next) => waiting.shift()?.(next));
        resolve((JSON.parse(l) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`relay exited ${code} before listening`)));
      child.once('error', reject);
    });
    const take = (): Promise<WireStats> =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) reject(new Error('relay has exited'));
        waiting.push((l) => resolve(JSON.parse(l) as WireStats));
        child.stdin!.write('take\n');
      });
    return { port, delayMs, take, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface BenchRemote {
  remote: Remote;
  /** The current one-way delay in ms. */
  delayMs(): number;
  /** Restarts the relay with this one-way delay and remounts. */
  setDelay(ms: number): Promise<void>;
  /** Unmount + mount: cold sshfs and kernel caches. */
  cold(): Promise<void>;
  /** The effective round trip on the mount in ms: mean time of lstat of a missing name. */
  rtt(samples?: number): number;
  /** The relay's counters since the previous call (or since the relay started: a new delay starts one). */
  wire(): Promise<WireStats>;
  stop(): Promise<void>;
}

export async function startBenchRemote(delayMs = 0): Promise<BenchRemote> {
  let relay: Relay | undefined;
  let sshdPort = 0;
  let wanted = delayMs;
  const remote = await startRemote({
    sshfsOptions: ['reconnect'],
    sshfsPort: async (port) => {
      sshdPort = port;
      if (relay === undefined || relay.delayMs !== wanted) {
        await relay?.stop();
        relay = undefined;
        relay = await startRelay(port, wanted);
      }
      return relay.port;
    },
  }).catch(async (e: unknown) => {
    await relay?.stop();
    throw e;
  });
  let probe = 0;
  const self: BenchRemote = {
    remote,
    delayMs: () => relay?.delayMs ?? wanted,
    async setDelay(ms) {
      if (relay?.delayMs === ms && remote.isMounted()) return;
      wanted = ms;
      await remote.unmount();
      await relay?.stop();
      relay = await startRelay(sshdPort, ms);
      await remote.mount();
    },
    async cold() {
      await remote.unmount();
      await remote.mount();
    },
    rtt(samples = 20) {
      // A warm-up (the first call after a mount pays for the connection's state), then fresh names each time.
      lstatSync(path.join(remote.mountDir, `.rtt-probe-warm-${probe++}`), { throwIfNoEntry: false });
      const t0 = performance.now();
      for (let i = 0; i < samples; i++)
        lstatSync(path.join(remote.mountDir, `.rtt-probe-${process.pid}-${probe++}`), {
          throwIfNoEntry: false,
        });
      return (performance.now() - t0) / samples;
    },
    wire() {
      if (relay === undefined) throw new Error('no relay');
      return relay.take();
    },
    async stop() {
      try {
        await remote.stop();
      } finally {
        await relay?.stop();
      }
    },
  };
  return self;
}
