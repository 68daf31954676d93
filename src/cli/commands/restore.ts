// `lazysync restore PATH [--at TIME]`: a file's kept version back in place, or a folder's files (what was
// deleted; with --at, each as it was then). Current content is kept as a version first.
import type { Command } from 'commander';
import { LazysyncError } from '../../errors.js';
import { clientCommand, daemonClient, type SetCode } from '../command.js';
import { displayPath, displayText, formatStamp, parseAt, plural } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(
    program,
    'restore <path>',
    "put a file's kept version back, or a folder's deleted files (the current content is kept first)",
  )
    .option(
      '--at <time>',
      'as it was at this time: a VERSION from `versions` or `deleted` (20261128-101500[-1]), a UTC time ' +
        '(2026-11-28 10:15) or how long ago (2h, 3d); default: the newest version, or for a folder what is missing',
    )
    .action(async (p: string, opts: RestoreOptions) => setCode(await restoreCommand(p, opts)));
}

export interface RestoreOptions {
  socket?: string;
  at?: string;
}

interface RestoreAnswer {
  pair: string;
  path: string;
  restored?: { side: string; stamp: string; version: string };
  folder?: { restored: number; files: { path: string; side: string; version: string }[] };
}

export async function restoreCommand(p: string, opts: RestoreOptions, io: Io = stdio): Promise<number> {
  const at = opts.at === undefined ? undefined : parseAt(opts.at, Date.now());
  if (opts.at !== undefined && at === undefined) {
    throw new LazysyncError(
      'usage',
      `--at takes a version like 20261128-101500 (see \`lazysync versions PATH\`), a UTC time like '2026-11-28 10:15' or a time ago like 2h, not '${opts.at}'`,
    );
  }
  const client = daemonClient(opts);
  const answer = await client.request<RestoreAnswer>('POST', '/v1/restore', {
    path: absolutePath(p),
    ...(at !== undefined ? { at } : {}),
  });
  const where = `${displayPath(answer.path)} in ${displayText(answer.pair)}`;
  if (answer.folder !== undefined) {
    for (const f of answer.folder.files) {
      io.out(
        `restored ${displayPath(f.path)} from its ${displayText(f.side)} version ${displayText(f.version)}`,
      );
    }
    const more = answer.folder.restored - answer.folder.files.length;
    if (more > 0) io.out(`... and ${more} more`);
    io.out(
      `restored ${plural(answer.folder.restored, 'file')} in ${where}${at === undefined ? '' : ` as they were at ${formatStamp(at.slice(0, 15))}`} ` +
        '(the content they replaced was kept as versions)',
    );
    return 0;
  }
  const r = answer.restored;
  io.out(
    `restored ${where} from the ${displayText(r?.side ?? '?')} version ${displayText(r?.version ?? '?')} ` +
      `of ${formatStamp(r?.stamp ?? '')} (the content it replaced was kept as a version)`,
  );
  return 0;
}
