// `lazysync remove PAIR`: stops a pair and drops it from the config file; its folders and state stay.
import { ApiClient, pairUrl } from './client.js';
import { displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { resolveSocketPath } from '../daemon/socket.js';

export async function removeCommand(
  name: string,
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  const res = await client.request<{ removed: string }>('DELETE', pairUrl(name));
  io.out(`removed ${displayText(res.removed)} (its folders and sync state are left as they are)`);
  return 0;
}
