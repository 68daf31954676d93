// `lazysync restore PATH [--at YYYYMMDD-HHMMSS]`: a kept version back in place; the current content is kept first.
import type { Command } from 'commander';
import { LazysyncError } from '../../errors.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { displayPath, displayText, formatStamp, parseStamp } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'restore <path>', 'put a kept version back (the current content is kept first)')
    .option('--at <stamp>', 'the version to restore, as YYYYMMDD-HHMMSS (default: the newest)')
    .action(async (p: string, opts: RestoreOptions) => setCode(await restoreCommand(p, opts)));
}

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
  const client = daemonClient(opts);
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
