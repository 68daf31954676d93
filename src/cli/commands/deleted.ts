// `lazysync deleted [PATH]`: what was deleted and has versions (a whole folder in one line), newest first.
import type { Command } from 'commander';
import type { DeletedListing } from '../../engine/runner-api.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText, formatSize, formatStamp, plural, renderTable } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(
    program,
    'deleted [path]',
    'list what was deleted and can be restored, newest first (below PATH, or in every pair)',
  ).action(async (p: string | undefined, opts: SocketOption) => setCode(await deletedCommand(p, opts)));
}

export type DeletedRow = DeletedListing & { pair: string };

export function renderDeleted(rows: DeletedRow[]): string[] {
  if (rows.length === 0) return ['nothing deleted has versions'];
  const cells = rows.map((d) => [
    displayText(d.pair),
    formatStamp(d.version.slice(0, 15)),
    d.version,
    d.side,
    formatSize(d.size),
    d.kind === 'folder' ? `${displayPath(d.path)}/ (${plural(d.files, 'file')})` : displayPath(d.path),
  ]);
  // VERSION is what `lazysync restore PATH --at VERSION` takes.
  return renderTable(['PAIR', 'WHEN', 'VERSION', 'SIDE', 'SIZE', 'PATH'], cells, [4]);
}

export async function deletedCommand(
  p: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  const client = daemonClient(opts);
  const query = p === undefined ? '' : `?${new URLSearchParams({ path: absolutePath(p) }).toString()}`;
  const answer = await client.request<{ deleted: DeletedRow[] }>('GET', `/v1/deleted${query}`);
  for (const line of renderDeleted(answer.deleted)) io.out(line);
  return 0;
}
