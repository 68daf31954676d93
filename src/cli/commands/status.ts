// `lazysync status [PAIR] [--json] [--watch]`: what each pair is doing, once or live.
import type { Command } from 'commander';
import type { PairStatus } from '../../engine/runner-api.js';
import { pairUrl } from '../client.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { stdio, type Io } from '../io.js';
import { runLive } from '../live.js';
import { renderDaemonStatus, renderPairs, type DaemonStatus } from '../status-view.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'status [pair]', 'show each pair: state, last pass, counts, transfers')
    .option('--json', 'print the API answer as JSON (stable, for scripts)')
    .option('--watch', 'redraw every second and on every change, until Ctrl-C')
    .action(async (pair: string | undefined, opts: StatusOptions) =>
      setCode(await statusCommand(pair, opts)),
    );
}

export interface StatusOptions {
  socket?: string;
  json?: boolean;
  watch?: boolean;
}

/**
 * Without PAIR: `GET /v1/status` (the daemon and every pair); with PAIR: `GET /v1/pairs/PAIR`. `--json`
 * prints the API's answer as it is (indented; with `--watch`, one compact line per refresh).
 */
export async function statusCommand(
  name: string | undefined,
  opts: StatusOptions,
  io: Io = stdio,
  stop?: AbortSignal,
): Promise<number> {
  const client = daemonClient(opts);
  const fetch = (): Promise<unknown> =>
    name === undefined
      ? client.request<DaemonStatus>('GET', '/v1/status')
      : client.request<PairStatus>('GET', pairUrl(name));
  const human = (value: unknown, now: Date): string[] =>
    name === undefined
      ? renderDaemonStatus(value as DaemonStatus, now)
      : renderPairs([value as PairStatus], now);

  if (opts.watch !== true) {
    const value = await fetch();
    const lines = opts.json === true ? [JSON.stringify(value, null, 2)] : human(value, new Date());
    for (const line of lines) io.out(line);
    return 0;
  }
  return runLive({
    client,
    fetch,
    render: opts.json === true ? (value) => [JSON.stringify(value)] : human,
    relevant: (e) => name === undefined || e.pair === name,
    mode: opts.json !== true && io.tty ? 'redraw' : 'append',
    separator: opts.json !== true,
    io,
    ...(stop !== undefined ? { stop } : {}),
  });
}
