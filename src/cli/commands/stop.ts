// `lazysync stop`: asks the daemon to finish the file in flight and exit, and waits until it has.
import type { Command } from 'commander';
import { LazysyncError } from '../../errors.js';
import { NoDaemonError, isConnectionLost, type ApiClient } from '../client.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'stop', 'ask the daemon to finish the file in flight and exit').action(
    async (opts: StopOptions) => setCode(await stopCommand(opts)),
  );
}

export interface StopOptions {
  socket?: string;
}

export interface StopTiming {
  timeoutMs: number;
  pollMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether the socket still answers; an answer of any kind, a reset or a slow answer count as yes. */
async function answers(client: ApiClient, timeoutMs: number): Promise<boolean> {
  try {
    await client.request('GET', '/v1/status', undefined, { timeoutMs });
    return true;
  } catch (e) {
    return !(e instanceof NoDaemonError);
  }
}

/** POST /v1/shutdown, then polls until nothing listens on the socket: `stopped`, or exit 1 after the timeout. */
export async function stopCommand(
  opts: StopOptions,
  io: Io = stdio,
  timing: StopTiming = { timeoutMs: 60_000, pollMs: 200 },
): Promise<number> {
  const client = daemonClient(opts);
  try {
    await client.request<{ stopping: boolean }>('POST', '/v1/shutdown');
  } catch (e) {
    // A daemon that exits before its answer is out is stopping all the same; anything else is the error.
    if (!isConnectionLost(e)) throw e;
  }
  const deadline = Date.now() + timing.timeoutMs;
  while (Date.now() < deadline) {
    await sleep(timing.pollMs);
    if (!(await answers(client, Math.max(timing.pollMs * 5, 1000)))) {
      io.out('stopped');
      return 0;
    }
  }
  throw new LazysyncError(
    'io',
    `the lazysync daemon on ${client.socketPath} still answers ${Math.round(timing.timeoutMs / 1000)} s ` +
      'after it was asked to stop',
  );
}
