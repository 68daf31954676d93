// `lazysync bwlimit RATE [PAIR]`: the transfer rate limit of one pair, or of every pair, at run time.
import type { Command } from 'commander';
import { formatSize, parseSize } from '../../core/size.js';
import { LazysyncError } from '../../errors.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(
    program,
    'bwlimit <rate> [pair]',
    'limit transfers to RATE bytes/s (e.g. 4M; 0 or off: no limit)',
  ).action(async (rate: string, pair: string | undefined, opts: SocketOption) =>
    setCode(await bwlimitCommand(rate, pair, opts)),
  );
}

export async function bwlimitCommand(
  rate: string,
  name: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  const off = rate === 'off' || rate === 'none';
  const bytes = off ? 0 : parseSize(rate);
  if (bytes === undefined) {
    throw new LazysyncError('usage', `bwlimit takes a rate like 4M, 512K, 0 or off, not '${rate}'`);
  }
  const client = daemonClient(opts);
  const answer = await client.request<{ rate: number | null }>('PUT', '/v1/bwlimit', {
    rate: bytes,
    ...(name !== undefined ? { pair: name } : {}),
  });
  const scope = name === undefined ? 'every pair' : displayText(name);
  io.out(`transfer limit of ${scope}: ${answer.rate === null ? 'none' : `${formatSize(answer.rate)}/s`}`);
  return 0;
}
