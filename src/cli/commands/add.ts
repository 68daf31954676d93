// `lazysync add -r R -l L [--name NAME] [options]`: a new pair in the daemon, saved to its config file.
import type { Command } from 'commander';
import { pairConfigFrom } from '../../config.js';
import type { PairStatus } from '../../engine/runner-api.js';
import { storedFromArgs, type PairOptions, type RawOptions } from '../../pair-options.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';
import { addPairFlags } from '../pair-flags.js';
import { absolutePath } from '../paths.js';
import { stateLabel } from '../status-view.js';

export function register(program: Command, setCode: SetCode): void {
  const add = clientCommand(
    program,
    'add',
    'add a pair to the daemon (saved to its config file) and start it',
  );
  addPairFlags(add, 'add', 'folders');
  add.option('--name <name>', "the pair's name (default: the local folder's name)");
  addPairFlags(add, 'add', 'options');
  add.action(async (opts: AddOptions) => setCode(await addCommand(opts)));
}

export interface AddOptions extends RawOptions {
  name?: string;
  socket?: string;
}

/**
 * The body of `POST /v1/pairs`. Flags are checked here first (the same rules as `lazysync run`, so a typo
 * is a usage error before anything is saved); the daemon checks again.
 */
export function addBody(opts: AddOptions): {
  name?: string;
  remote: string;
  local: string;
  options: PairOptions;
} {
  const raw: RawOptions = { ...opts };
  if (opts.remote !== undefined && opts.remote !== '') raw.remote = absolutePath(opts.remote);
  if (opts.local !== undefined && opts.local !== '') raw.local = absolutePath(opts.local);
  const cfg = pairConfigFrom(raw, true);
  return {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    remote: cfg.remote,
    local: cfg.local,
    options: storedFromArgs(raw),
  };
}

export async function addCommand(opts: AddOptions, io: Io = stdio): Promise<number> {
  const body = addBody(opts);
  const client = daemonClient(opts);
  const pair = await client.request<PairStatus>('POST', '/v1/pairs', body);
  io.out(
    `added ${displayText(pair.name)}: ${displayText(pair.remote)} <-> ${displayText(pair.local)} ` +
      `(${pair.lazy ? 'lazy' : 'eager'}, ${stateLabel(pair.state)})`,
  );
  return 0;
}
