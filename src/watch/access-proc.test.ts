import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { ProcAccessWatcher } from './access-proc.js';
import { openFilesOf } from './proc-fds.js';
import { b, makeTmp, rmTmp, sleep, waitFor } from '../../test/unit/watch.js';

interface Holder {
  exited: Promise<void>;
  /** True once the child has the file open (its /proc/PID/fd shows it). */
  holding: () => boolean;
  /** Ends the child (SIGTERM) and waits for its exit. */
  stop: () => Promise<void>;
}

/** A child holding `file` open on its stdin for `seconds`, or until stop(). */
function holdOpen(file: string, seconds: number): Holder {
  const child = spawn('sh', ['-c', `exec sleep ${seconds} < "$1"`, 'sh', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const pid = child.pid ?? -1;
  return {
    exited,
    holding: () => (openFilesOf(pid) ?? []).some(([, target]) => target.toString() === file),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      return exited;
    },
  };
}

describe('ProcAccessWatcher', () => {
  let tmp: string;
  let R: string;
  before(() => {
    tmp = makeTmp('proc');
    R = `${tmp}/remote`;
    fs.mkdirSync(`${R}/sub`, { recursive: true });
    fs.writeFileSync(`${R}/sub/file`, 'x');
    fs.writeFileSync(b(`${R}/sub/\xff name`), 'x');
    fs.symlinkSync(R, `${tmp}/alias`);
  });
  after(() => rmTmp(tmp));

  it('reports a file held open by another process once, however many scans see it', async () => {
    const seen: string[] = [];
    const w = new ProcAccessWatcher(R, (rel, kind) => seen.push(`${kind} ${rel}`), { intervalMs: 50 });
    w.start();
    try {
      const child = holdOpen(`${R}/sub/file`, 60);
      await waitFor(() => seen.length > 0, 'the open');
      await sleep(200); // a few more scans (every 50 ms) while it is still open: no second report
      await child.stop();
      assert.deepEqual(seen, ['open sub/file']);
    } finally {
      w.stop();
    }
  });

  it('matches through a symlinked root (/proc shows real paths) and keeps name bytes', async () => {
    const seen: string[] = [];
    const w = new ProcAccessWatcher(`${tmp}/alias/`, (rel) => seen.push(rel), { intervalMs: 20 });
    w.start();
    // spawn() passes arguments as UTF-8: the shell makes the \xff byte.
    const child = spawn('sh', ['-c', `exec sleep 0.5 < "$1/sub/$(printf '\\377 name')"`, 'sh', R], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => seen.length > 0, 'the open');
      assert.deepEqual(seen, ['sub/\xff name']);
    } finally {
      w.stop();
      await exited;
    }
  });

  it('skips its own process and files outside R or in R/.lazysync', async () => {
    fs.mkdirSync(`${R}/.lazysync`, { recursive: true });
    fs.writeFileSync(`${R}/.lazysync/db`, '');
    fs.writeFileSync(`${tmp}/remote-not`, '');
    const own = fs.openSync(`${R}/sub/file`, 'r');
    const children = [
      holdOpen(`${R}/.lazysync/db`, 60),
      holdOpen(`${tmp}/remote-not`, 60),
      holdOpen(`${R}/sub/file`, 60), // the control: this one is reported
    ];
    const seen: string[] = [];
    const w = new ProcAccessWatcher(R, (rel) => seen.push(rel));
    try {
      await waitFor(() => children.every((c) => c.holding()), 'the children to open their files');
      w.scan();
      w.scan();
      assert.deepEqual(seen, ['sub/file']);
    } finally {
      fs.closeSync(own);
      await Promise.all(children.map((c) => c.stop()));
    }
  });

  it('bounds the work per scan and covers everything over several scans', async () => {
    const seen: string[] = [];
    const w = new ProcAccessWatcher(R, (rel) => seen.push(rel), { maxLinksPerTick: 5 });
    const child = holdOpen(`${R}/sub/file`, 60);
    try {
      await waitFor(child.holding, 'the child to open its file');
      const pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
      let scans = 0;
      while (seen.length === 0 && scans < pids + 5) {
        w.scan();
        scans++;
      }
      assert.deepEqual(seen, ['sub/file']);
      for (let i = 0; i < pids + 5; i++) w.scan(); // a full round more: still reported once
      assert.deepEqual(seen, ['sub/file']);
      const unbounded = new ProcAccessWatcher(R, () => {});
      unbounded.scan(); // warm up
      const t0 = performance.now();
      let links = 0;
      for (let i = 0; i < 20; i++) links = unbounded.scan();
      const ms = (performance.now() - t0) / 20;
      console.log(`# one full /proc scan: ${pids} processes, ${links} readlinks, ${ms.toFixed(2)} ms`);
    } finally {
      await child.stop();
    }
  });

  it('stop() ends polling', async () => {
    const seen: string[] = [];
    const w = new ProcAccessWatcher(R, (rel) => seen.push(rel), { intervalMs: 10 });
    w.start();
    w.stop();
    const child = holdOpen(`${R}/sub/file`, 0.3);
    await child.exited;
    assert.deepEqual(seen, []);
  });
});
