// `lazysync resume [PAIR] [--confirm-deletes]`: passes again; with the flag, a waiting mass delete applies.
import type { PairStatus } from '../engine/status.js';
import { ApiClient, pairUrl } from './client.js';
import { forEachPair } from './each-pair.js';
import { displayText, shellArg } from './format.js';
import { stdio, type Io } from './io.js';
import { resolveSocketPath } from '../daemon/socket.js';
import { stateLabel } from './status-view.js';

export interface ResumeOptions {
  socket?: string;
  confirmDeletes?: boolean;
}

export async function resumeCommand(
  name: string | undefined,
  opts: ResumeOptions,
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
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
