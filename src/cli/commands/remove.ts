// `lazysync remove PAIR`: stops a pair and drops it from the config file; its folders and state stay.
import type { Command } from 'commander';
import { pairUrl } from '../client.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayText } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(
    program,
    'remove <pair>',
    'stop a pair and remove it from the config file (files stay)',
  ).action(async (pair: string, opts: SocketOption) => setCode(await removeCommand(pair, opts)));
}

export async function removeCommand(name: string, opts: SocketOption, io: Io = stdio): Promise<number> {
  const client = daemonClient(opts);
  const res = await client.request<{ removed: string }>('DELETE', pairUrl(name));
  io.out(`removed ${displayText(res.removed)} (its folders and sync state are left as they are)`);
  return 0;
}
