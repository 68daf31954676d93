// Commands whose PAIR is optional (pause, resume, rescan): the named pair, or every pair of the daemon.
import { ApiClient, ApiError } from './client.js';
import { displayText } from './format.js';
import type { Io } from './io.js';
import type { DaemonStatus } from './status-view.js';

/**
 * Runs `action` for `name`, or for each pair when `name` is undefined. With one pair named, its error is
 * the command's error. With all pairs, an API error of one pair is reported on its own line and the others
 * still run (exit 1 at the end); a lost connection ends everything at once.
 */
export async function forEachPair(
  client: ApiClient,
  name: string | undefined,
  io: Io,
  action: (name: string) => Promise<void>,
): Promise<number> {
  if (name !== undefined) {
    await action(name);
    return 0;
  }
  const status = await client.request<DaemonStatus>('GET', '/v1/status');
  if (status.pairs.length === 0) {
    io.out('no pairs');
    return 0;
  }
  let code = 0;
  for (const pair of status.pairs) {
    try {
      await action(pair.name);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      io.err(`${displayText(pair.name)}: ${e.message}`);
      code = 1;
    }
  }
  return code;
}
