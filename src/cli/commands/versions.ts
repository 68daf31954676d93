// `lazysync versions PATH`: every kept version of a path on both sides, newest first.
import type { Command } from 'commander';
import type { VersionListing } from '../../engine/runner-api.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText, formatSize, formatStamp, renderTable } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'versions <path>', 'list the kept versions of a path on both sides').action(
    async (p: string, opts: SocketOption) => setCode(await versionsCommand(p, opts)),
  );
}

export interface VersionsAnswer {
  pair: string;
  path: string;
  versions: VersionListing[];
}

export function renderVersions(answer: VersionsAnswer): string[] {
  const where = `${displayPath(answer.path)} in ${displayText(answer.pair)}`;
  if (answer.versions.length === 0) return [`no versions of ${where}`];
  const rows = answer.versions.map((v) => [
    v.side,
    formatStamp(v.stamp),
    v.version,
    v.kind === 'file' ? formatSize(v.size) : displayText(v.kind),
    displayText(v.file),
  ]);
  // VERSION is what `lazysync restore PATH --at VERSION` takes: the stamp, -N for the N-th of one second.
  return renderTable(['SIDE', 'TIME', 'VERSION', 'SIZE', 'FILE'], rows, [3]);
}

export async function versionsCommand(p: string, opts: SocketOption, io: Io = stdio): Promise<number> {
  const client = daemonClient(opts);
  const query = new URLSearchParams({ path: absolutePath(p) });
  const answer = await client.request<VersionsAnswer>('GET', `/v1/versions?${query.toString()}`);
  for (const line of renderVersions(answer)) io.out(line);
  return 0;
}
