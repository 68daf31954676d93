// `lazysync versions PATH`: every kept version of a path on both sides, newest first.
import type { VersionListing } from '../engine/status.js';
import { ApiClient } from './client.js';
import { displayPath, displayText, formatSize, formatStamp, renderTable } from './format.js';
import { stdio, type Io } from './io.js';
import { absolutePath } from './paths.js';
import { resolveSocketPath } from '../daemon/socket.js';

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
    v.stamp,
    v.kind === 'file' ? formatSize(v.size) : displayText(v.kind),
    displayText(v.file),
  ]);
  // STAMP is what `lazysync restore PATH --at STAMP` takes.
  return renderTable(['SIDE', 'TIME', 'STAMP', 'SIZE', 'FILE'], rows, [3]);
}

export async function versionsCommand(p: string, opts: { socket?: string }, io: Io = stdio): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const query = new URLSearchParams({ path: absolutePath(p) });
  const answer = await client.request<VersionsAnswer>('GET', `/v1/versions?${query.toString()}`);
  for (const line of renderVersions(answer)) io.out(line);
  return 0;
}
