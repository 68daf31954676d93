// `lazysync free PATH...`: clean local copies back to placeholders; an edited copy is refused (exit 1).
import type { Command } from 'commander';
import { ApiError } from '../client.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'free <path...>', 'turn clean local copies back into placeholders').action(
    async (paths: string[], opts: SocketOption) => setCode(await freeCommand(paths, opts)),
  );
}

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
export async function freeCommand(paths: string[], opts: SocketOption, io: Io = stdio): Promise<number> {
  const client = daemonClient(opts);
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
