// `lazysync unpin PATH...`: the paths may become placeholders again (nothing is freed right away).
import type { Command } from 'commander';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'unpin <path...>', 'stop keeping paths local (they may become placeholders)').action(
    async (paths: string[], opts: SocketOption) => setCode(await unpinCommand(paths, opts)),
  );
}

export async function unpinCommand(paths: string[], opts: SocketOption, io: Io = stdio): Promise<number> {
  const client = daemonClient(opts);
  const answer = await client.request<{ unpinned: { pair: string; path: string }[] }>('POST', '/v1/unpin', {
    paths: paths.map((p) => absolutePath(p)),
  });
  for (const p of answer.unpinned) io.out(`unpinned ${displayPath(p.path)} in ${displayText(p.pair)}`);
  return 0;
}
