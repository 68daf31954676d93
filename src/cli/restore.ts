// `lazysync restore PATH [--at YYYYMMDD-HHMMSS]`: a kept version back in place; the current content is kept first.
import { LazysyncError } from '../errors.js';
import { ApiClient } from './client.js';
import { displayPath, displayText, formatStamp, parseStamp } from './format.js';
import { stdio, type Io } from './io.js';
import { absolutePath } from './paths.js';
import { resolveSocketPath } from '../daemon/socket.js';

export interface RestoreOptions {
  socket?: string;
  at?: string;
}

interface RestoreAnswer {
  pair: string;
  path: string;
  restored: { side: string; stamp: string };
}

export async function restoreCommand(p: string, opts: RestoreOptions, io: Io = stdio): Promise<number> {
  if (opts.at !== undefined && parseStamp(opts.at) === undefined) {
    throw new LazysyncError(
      'usage',
      `--at takes a version's time as YYYYMMDD-HHMMSS (see \`lazysync versions PATH\`), not '${opts.at}'`,
    );
  }
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const answer = await client.request<RestoreAnswer>('POST', '/v1/restore', {
    path: absolutePath(p),
    ...(opts.at !== undefined ? { at: opts.at } : {}),
  });
  io.out(
    `restored ${displayPath(answer.path)} in ${displayText(answer.pair)} from the ` +
      `${displayText(answer.restored.side)} version of ${formatStamp(answer.restored.stamp)} ` +
      '(the content it replaced was kept as a version)',
  );
  return 0;
}
