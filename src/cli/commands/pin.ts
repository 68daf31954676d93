// `lazysync pin PATH...`: hydrate now and keep local; progress bars on a terminal while it downloads.
import type { Command } from 'commander';
import type { EventStream } from '../client.js';
import { clientCommand, daemonClient, type SetCode, type SocketOption } from '../command.js';
import { displayPath, displayText, plural } from '../format.js';
import { stdio, type Io } from '../io.js';
import { absolutePath } from '../paths.js';
import { PinProgress, isPinTransfer, pinTargets } from '../pin-progress.js';
import type { DaemonStatus } from '../status-view.js';

export function register(program: Command, setCode: SetCode): void {
  clientCommand(program, 'pin <path...>', 'download now and always keep local (files or folders)').action(
    async (paths: string[], opts: SocketOption) => setCode(await pinCommand(paths, opts)),
  );
}

interface PinAnswer {
  pinned: { pair: string; path: string; files: number }[];
}

/** Answers once the files are local copies. Progress comes from the event stream, opened before the request. */
export async function pinCommand(paths: string[], opts: SocketOption, io: Io = stdio): Promise<number> {
  const abs = paths.map((p) => absolutePath(p));
  const client = daemonClient(opts);
  let progress: PinProgress | undefined;
  let stream: EventStream | undefined;
  if (io.progress !== undefined) {
    const targets = pinTargets((await client.request<DaemonStatus>('GET', '/v1/status')).pairs, abs);
    const bars = new PinProgress(io.progress);
    progress = bars;
    stream = client.events((e) => {
      if (isPinTransfer(targets, e)) bars.transfer(e);
    });
    await stream.ready.catch(() => undefined); // bars are a nicety: the pin goes on without them
  }
  let answer: PinAnswer;
  try {
    answer = await client.request<PinAnswer>('POST', '/v1/pin', { paths: abs });
  } finally {
    stream?.close();
    progress?.stop();
  }
  for (const p of answer.pinned) {
    io.out(`pinned ${displayPath(p.path)} in ${displayText(p.pair)} (${plural(p.files, 'file')} local)`);
  }
  return 0;
}
