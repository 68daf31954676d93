// `lazysync rescan [PAIR]`: a full pass now (after the one running, if any).
import { ApiClient, pairUrl } from './client.js';
import { forEachPair } from './each-pair.js';
import { displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { resolveSocketPath } from '../daemon/socket.js';

export async function rescanCommand(
  name: string | undefined,
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  return forEachPair(client, name, io, async (pair) => {
    await client.request<{ started: boolean }>('POST', pairUrl(pair, 'rescan'));
    io.out(`rescan started for ${displayText(pair)}`);
  });
}
