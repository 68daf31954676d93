// `lazysync log-level LEVEL [PAIR]`: the daemon's log detail (or one pair's) at run time.
import type { Command } from 'commander';
import { LOG_LEVELS } from '../../log.js';
import { PAIR_OPTIONS, parseArg } from '../../pair-options.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(
    program,
    'log-level <level> [pair]',
    `set the log detail at run time: ${LOG_LEVELS.join(', ')}`,
  ).action(async (level: string, pair: string | undefined, opts: SocketOption) =>
    setCode(await logLevelCommand(level, pair, opts)),
  );
}

export async function logLevelCommand(
  level: string,
  name: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  parseArg(PAIR_OPTIONS.logLevel, level, 'log-level');
  const client = daemonClient(opts);
  const answer = await client.request<{ level: string }>('PUT', '/v1/log-level', {
    level,
    ...(name !== undefined ? { pair: name } : {}),
  });
  const scope = name === undefined ? 'the daemon and every pair' : displayText(name);
  io.out(`log level of ${scope}: ${displayText(answer.level)}`);
  return 0;
}
