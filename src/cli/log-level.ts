// `lazysync log-level LEVEL [PAIR]`: the daemon's log detail (or one pair's) at run time.
import { LazysyncError } from '../errors.js';
import { LOG_LEVELS } from '../log.js';
import { ApiClient } from './client.js';
import { displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { resolveSocketPath } from '../daemon/socket.js';

export async function logLevelCommand(
  level: string,
  name: string | undefined,
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new LazysyncError('usage', `log-level takes one of ${LOG_LEVELS.join(', ')}, not '${level}'`);
  }
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const answer = await client.request<{ level: string }>('PUT', '/v1/log-level', {
    level,
    ...(name !== undefined ? { pair: name } : {}),
  });
  const scope = name === undefined ? 'the daemon and every pair' : displayText(name);
  io.out(`log level of ${scope}: ${displayText(answer.level)}`);
  return 0;
}
