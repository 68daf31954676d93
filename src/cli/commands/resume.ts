// `lazysync resume [PAIR] [--confirm-deletes]`: passes again; with the flag, a waiting mass delete applies.
import type { Command } from 'commander';
import type { PairStatus } from '../../engine/runner-api.js';
import { pairUrl } from '../client.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { forEachPair } from '../each-pair.js';
import { displayText, shellArg } from '../format.js';
import { stdio, type Io } from '../io.js';
import { stateLabel } from '../status-view.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'resume [pair]', 'resume a pair (default: every pair)')
    .option('--confirm-deletes', 'apply a pass that waits for delete confirmation')
    .action(async (pair: string | undefined, opts: ResumeOptions) =>
      setCode(await resumeCommand(pair, opts)),
    );
}

export interface ResumeOptions {
  socket?: string;
  confirmDeletes?: boolean;
}

export async function resumeCommand(
  name: string | undefined,
  opts: ResumeOptions,
  io: Io = stdio,
): Promise<number> {
  const client = daemonClient(opts);
  const body = opts.confirmDeletes === true ? { confirmDeletes: true } : {};
  return forEachPair(client, name, io, async (pair) => {
    const s = await client.request<PairStatus>('POST', pairUrl(pair, 'resume'), body);
    const shown = displayText(s.name);
    if (s.state === 'waiting-confirm') {
      const why = s.reason === null ? '' : `: ${displayText(s.reason)}`;
      io.out(
        `resumed ${shown}, which waits for delete confirmation${why}; ` +
          `apply with \`lazysync resume ${displayText(shellArg(s.name))} --confirm-deletes\``,
      );
    } else {
      io.out(`resumed ${shown} (${stateLabel(s.state)})`);
    }
  });
}
