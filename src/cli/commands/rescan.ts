// `lazysync rescan [PAIR]`: a full pass now (after the one running, if any).
import type { Command } from 'commander';
import { pairUrl } from '../client.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { forEachPair } from '../each-pair.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'rescan [pair]', 'start a full pass now (default: every pair)').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await rescanCommand(pair, opts)),
  );
}

export async function rescanCommand(
  name: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  const client = daemonClient(opts);
  return forEachPair(client, name, io, async (pair) => {
    await client.request<{ started: boolean }>('POST', pairUrl(pair, 'rescan'));
    io.out(`rescan started for ${displayText(pair)}`);
  });
}
