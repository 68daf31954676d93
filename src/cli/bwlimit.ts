// `lazysync bwlimit RATE [PAIR]`: the transfer rate limit of one pair, or of every pair, at run time.
import { formatSize, parseSize } from '../core/size.js';
import { resolveSocketPath } from '../daemon/socket.js';
import { LazysyncError } from '../errors.js';
import { ApiClient } from './client.js';
import { displayText } from './format.js';
import { stdio, type Io } from './io.js';

export async function bwlimitCommand(
  rate: string,
  name: string | undefined,
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const off = rate === 'off' || rate === 'none';
  const bytes = off ? 0 : parseSize(rate);
  if (bytes === undefined) {
    throw new LazysyncError('usage', `bwlimit takes a rate like 4M, 512K, 0 or off, not '${rate}'`);
  }
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const answer = await client.request<{ rate: number | null }>('PUT', '/v1/bwlimit', {
    rate: bytes,
    ...(name !== undefined ? { pair: name } : {}),
  });
  const scope = name === undefined ? 'every pair' : displayText(name);
  io.out(`transfer limit of ${scope}: ${answer.rate === null ? 'none' : `${formatSize(answer.rate)}/s`}`);
  return 0;
}
