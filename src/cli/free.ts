// `lazysync free PATH...`: clean local copies back to placeholders; an edited copy is refused (exit 1).
import { ApiClient, ApiError } from './client.js';
import { displayPath, displayText } from './format.js';
import { stdio, type Io } from './io.js';
import { absolutePath } from './paths.js';
import { resolveSocketPath } from '../daemon/socket.js';

interface Listed {
  pair: string;
  path: string;
}
interface FreeAnswer {
  freed: Listed[];
  refused: (Listed & { reason: string })[];
}

function isFreeAnswer(body: unknown): body is Partial<FreeAnswer> {
  return typeof body === 'object' && body !== null && Array.isArray((body as { refused?: unknown }).refused);
}

/** Freed paths on stdout, each refusal as an error line; exit 1 when anything was refused. */
export async function freeCommand(
  paths: string[],
  opts: { socket?: string },
  io: Io = stdio,
): Promise<number> {
  const client = new ApiClient(resolveSocketPath(opts.socket));
  let answer: Partial<FreeAnswer>;
  try {
    answer = await client.request<FreeAnswer>('POST', '/v1/free', {
      paths: paths.map((p) => absolutePath(p)),
    });
  } catch (e) {
    // 409: nothing could be freed. The error body may list the refusals too; then they are the better message.
    if (!(e instanceof ApiError) || e.apiCode !== 'conflict' || !isFreeAnswer(e.body)) throw e;
    answer = e.body;
  }
  for (const p of answer.freed ?? []) io.out(`freed ${displayPath(p.path)} in ${displayText(p.pair)}`);
  const refused = answer.refused ?? [];
  for (const p of refused) {
    io.err(`not freed: ${displayPath(p.path)} in ${displayText(p.pair)}: ${displayText(p.reason)}`);
  }
  return refused.length > 0 ? 1 : 0;
}
