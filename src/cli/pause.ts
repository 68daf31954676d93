// `lazysync pause [PAIR]`: no more passes or transfers for the pair (or every pair) until resumed.
import type { PairStatus } from '../engine/status.js';
import { ApiClient, pairUrl } from './client.js';
import { forEachPair } from './each-pair.js';
import { displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { resolveSocketPath } from '../daemon/socket.js';

export async function pauseCommand(
  name: string | undefined,
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  return forEachPair(client, name, io, async (pair) => {
    const s = await client.request<PairStatus>('POST', pairUrl(pair, 'pause'));
    io.out(`paused ${displayText(s.name)}`);
  });
}
