// Whole-tree sync timings over the sshfs fixture: first sync (lazy and eager) and a no-change pass,
// beside `find` and `rsync -an` over the same mount, cold caches (remounted before every run).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startRemote, type Remote } from '../test/fixture/remote.js';
import { bin, fmt, median, timeCommand } from './lib.js';

export interface SyncBenchOptions {
  dirs: number;
  filesPerDir: number;
  runs: number;
}

export interface Row {
  what: string;
  seconds: number;
  ratio?: string;
}

async function makeTree(root: string, o: SyncBenchOptions): Promise<void> {
  for (let d = 0; d < o.dirs; d++) {
    const dir = path.join(root, `d${String(d).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: o.filesPerDir }, (_, f) =>
        writeFile(path.join(dir, `f${f}.txt`), `file ${d}/${f}\n`.repeat(1 + ((d * 7 + f) % 200))),
      ),
    );
  }
}

async function cold(remote: Remote): Promise<void> {
  await remote.unmount();
  await remote.mount();
}

async function repeat(
  o: SyncBenchOptions,
  remote: Remote,
  before: () => Promise<void>,
  run: () => Promise<number>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    await before();
    await cold(remote);
    times.push(await run());
  }
  return median(times);
}

export async function benchSync(o: SyncBenchOptions, log: (s: string) => void): Promise<Row[]> {
  // Default sshfs caching, as users mount it; cold caches come from remounting before each run.
  const remote = await startRemote({ sshfsOptions: ['reconnect'] });
  try {
    await makeTree(remote.serverDir, o);
    const n = o.dirs * o.filesPerDir;
    const local = path.join(remote.base, 'local');
    const mirror = path.join(remote.base, 'mirror');
    await timeCommand('rsync', ['-a', `${remote.serverDir}/`, `${mirror}/`]);
    const R = remote.mountDir;
    const sync = (lazy: string) =>
      timeCommand('node', [bin, 'sync', '-r', R, '-l', local, '-L', lazy, '--log-level', 'warn']);
    const fresh = async (): Promise<void> => rm(local, { recursive: true, force: true });
    const nothing = async (): Promise<void> => undefined;

    const find = await repeat(o, remote, nothing, () => timeCommand('find', [R, '-printf', '%s %T@\\n']));
    log(`find: ${fmt(find)}`);
    const rsync = await repeat(o, remote, nothing, () =>
      timeCommand('rsync', ['-an', `${R}/`, `${mirror}/`]),
    );
    log(`rsync -an: ${fmt(rsync)}`);
    const lazyFirst = await repeat(o, remote, fresh, () => sync('y'));
    log(`lazysync first sync, lazy: ${fmt(lazyFirst)}`);
    const noChange = await repeat(o, remote, nothing, () => sync('y'));
    log(`lazysync no-change pass: ${fmt(noChange)}`);
    const eagerFirst = await repeat(o, remote, fresh, () => sync('n'));
    log(`lazysync first sync, eager: ${fmt(eagerFirst)}`);
    const cpAll = await repeat(
      o,
      remote,
      () => rm(path.join(remote.base, 'cp'), { recursive: true, force: true }),
      () => timeCommand('cp', ['-r', R, path.join(remote.base, 'cp')]),
    );
    log(`cp -r: ${fmt(cpAll)}`);
    const r = (x: number, ref: number): string =>
      `${(x / ref).toFixed(2)}× ${ref === find ? 'find' : ref === rsync ? 'rsync -an' : 'cp -r'}`;
    return [
      { what: `find -printf over the mount (${n} files, ${o.dirs} dirs)`, seconds: find },
      { what: 'rsync -an into an identical copy', seconds: rsync },
      {
        what: 'lazysync sync, first sync, lazy (placeholders)',
        seconds: lazyFirst,
        ratio: r(lazyFirst, find),
      },
      { what: 'lazysync sync, no change', seconds: noChange, ratio: r(noChange, rsync) },
      { what: 'cp -r of the mount', seconds: cpAll },
      {
        what: 'lazysync sync, first sync, eager (downloads)',
        seconds: eagerFirst,
        ratio: r(eagerFirst, cpAll),
      },
    ];
  } finally {
    await remote.stop();
  }
}
