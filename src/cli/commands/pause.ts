// `lazysync pause [PAIR]`: no more passes or transfers for the pair (or every pair) until resumed.
import type { Command } from 'commander';
import type { PairStatus } from '../../engine/runner-api.js';
import { pairUrl } from '../client.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { forEachPair } from '../each-pair.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'pause [pair]', 'pause a pair (default: every pair)').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await pauseCommand(pair, opts)),
  );
}

export async function pauseCommand(
  name: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  const client = daemonClient(opts);
  return forEachPair(client, name, io, async (pair) => {
    const s = await client.request<PairStatus>('POST', pairUrl(pair, 'pause'));
    io.out(`paused ${displayText(s.name)}`);
  });
}
