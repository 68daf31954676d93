// `lazysync conflicts [PAIR]`: the conflict copies present, with both sides' times.
import type { Command } from 'commander';
import type { ConflictListing } from '../../engine/runner-api.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText, formatIso, renderTable } from '../format.js';
import { stdio, type Io } from '../io.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'conflicts [pair]', 'list the conflict copies present').action(
    async (pair: string | undefined, opts: SocketOption) => setCode(await conflictsCommand(pair, opts)),
  );
}

export type ConflictRow = ConflictListing & { pair: string };

export function renderConflicts(conflicts: ConflictRow[]): string[] {
  if (conflicts.length === 0) return ['no conflicts'];
  const rows = conflicts.map((c) => [
    displayText(c.pair),
    displayPath(c.path),
    displayPath(c.copy),
    formatIso(c.originalMtime),
    formatIso(c.copyMtime),
  ]);
  return renderTable(['PAIR', 'PATH', 'CONFLICT COPY', 'PATH MODIFIED', 'COPY MODIFIED'], rows);
}

export async function conflictsCommand(
  name: string | undefined,
  opts: SocketOption,
  io: Io = stdio,
): Promise<number> {
  const client = daemonClient(opts);
  const query = name === undefined ? '' : `?${new URLSearchParams({ pair: name }).toString()}`;
  const answer = await client.request<{ conflicts: ConflictRow[] }>('GET', `/v1/conflicts${query}`);
  for (const line of renderConflicts(answer.conflicts)) io.out(line);
  return 0;
}
