// --bwlimit: the rate a limited download really gets, over the sshfs fixture.
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startRemote } from '../test/fixture/remote.js';
import { bin, timeCommand } from './lib.js';

export interface BwRow {
  limit: number;
  measured: number;
}

export async function benchBwlimit(
  sizeMiB: number,
  limitMiB: number,
  log: (s: string) => void,
): Promise<BwRow> {
  const remote = await startRemote({ sshfsOptions: ['reconnect'] });
  try {
    writeFileSync(path.join(remote.serverDir, 'big.bin'), Buffer.alloc(sizeMiB << 20, 7));
    const local = path.join(remote.base, 'local');
    const sync = (extra: string[]): Promise<number> =>
      timeCommand('node', [
        bin,
        'sync',
        '-r',
        remote.mountDir,
        '-l',
        local,
        '-L',
        'n',
        '--log-level',
        'warn',
        ...extra,
      ]);
    // The same sync without a limit is the fixed cost (start-up, scan, the copy at full speed).
    const free = await sync([]);
    await rm(local, { recursive: true, force: true });
    const limited = await sync(['--bwlimit', `${limitMiB}M`]);
    // The first quarter second of the limit is a burst the bucket starts with.
    const seconds = limited - free + 0.25;
    const measured = (sizeMiB << 20) / seconds;
    const row = { limit: limitMiB << 20, measured };
    log(
      `--bwlimit ${limitMiB}M: ${sizeMiB} MiB in ${limited.toFixed(2)} s (unlimited ${free.toFixed(2)} s): ${(measured / 2 ** 20).toFixed(2)} MiB/s, ${((measured / row.limit) * 100).toFixed(1)}% of the limit`,
    );
    return row;
  } finally {
    await remote.stop();
  }
}
