// `lazysync unpin PATH...`: the paths may become placeholders again (nothing is freed right away).
import { ApiClient } from './client.js';
import { displayPath, displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { absolutePath } from './paths.js';
import { resolveSocketPath } from '../daemon/socket.js';

export async function unpinCommand(
  paths: string[],
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const answer = await client.request<{ unpinned: { pair: string; path: string }[] }>('POST', '/v1/unpin', {
    paths: paths.map((p) => absolutePath(p)),
  });
  for (const p of answer.unpinned) io.out(`unpinned ${displayPath(p.path)} in ${displayText(p.pair)}`);
  return 0;
}
