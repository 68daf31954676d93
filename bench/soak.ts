// The soak: a real `lazysync daemon` with an eager and a lazy pair on a real sshfs remote,
// random changes on both sides for N minutes with unmounts, sshfs kills and daemon restarts, then checks
// that both sides converge, nothing is lost (a ledger of every content written), no temp file is left and
// the daemon's memory did not grow. See docs/reliability.md for the rules the ledger applies.
// The flags are in bench/soak/options.ts; this file sets the run up, runs it and reports.
import { rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { daemonDir } from '../test/fixture/daemon.js';
import { newPair } from '../test/fixture/pair.js';
import { NOCACHE_SSHFS_OPTIONS, startRemote } from '../test/fixture/remote.js';
import { checkEnd, quiesce } from './soak/checks.js';
import { RunClock, sleep } from './soak/clock.js';
import { StatusMonitor, launchDaemon, type RunContext } from './soak/daemon.js';
import { Driver } from './soak/driver.js';
import { Faults } from './soak/faults.js';
import { Ledger } from './soak/ledger.js';
import { MemoryWatch, judgeMemory } from './soak/memory.js';
import { parseOptions } from './soak/options.js';
import { buildReport, keepEvidence, printSummary } from './soak/report.js';
import { Rng } from './soak/rng.js';
import type { Side, SoakPair } from './soak/sides.js';

async function main(): Promise<number> {
  const opts = parseOptions(process.argv);
  const clock = new RunClock(opts.minutes);
  const rng = new Rng(opts.seed);
  const ledger = new Ledger(clock);
  const driver = new Driver(rng, ledger);
  const faults = new Faults();
  const memoryWatch = new MemoryWatch(clock.t0, opts.probeDir, opts.snapshotAt);
  const monitor = new StatusMonitor(memoryWatch);
  console.log(`soak: ${opts.minutes} min, pace ${opts.paceMs} ms, seed ${opts.seed}, report ${opts.report}`);
  // What a SIGINT must undo synchronously (the remote fixture's own handler then unmounts and stops sshd).
  const live: { daemonPid?: number; dir?: string } = {};
  process.once('SIGINT', () => {
    if (live.daemonPid !== undefined) process.kill(live.daemonPid, 'SIGKILL');
    if (live.dir !== undefined) rmSync(live.dir, { recursive: true, force: true });
  });
  // no_contain_symlinks: sshfs's default refuses to read a ".." link through the mount (EPERM), and
  // lazysync then rightly leaves such a remote link alone; the soak's relative links are meant to sync.
  const remote = await startRemote({ sshfsOptions: [...NOCACHE_SSHFS_OPTIONS, 'no_contain_symlinks'] });
  const dir = await daemonDir();
  dir.env = { ...dir.env, ...memoryWatch.env() };
  live.dir = dir.dir;
  const trash = { L: join(remote.base, 'trash-L'), R: join(remote.base, 'trash-R') };
  await mkdir(trash.L);
  await mkdir(trash.R);
  const pairs: SoakPair[] = [
    { name: 'eager', lazy: false, p: await newPair(remote, 'eager') },
    { name: 'lazy', lazy: true, p: await newPair(remote, 'lazy') },
  ];
  let ctx: RunContext | undefined;
  const failures: string[] = [];
  try {
    // A starting tree on both sides, so the first sync is a union.
    for (const sp of pairs) {
      await mkdir(sp.p.local);
      for (const side of ['L', 'R'] as const)
        for (let i = 0; i < 15; i++) await driver.createFile(sp, side, ['']);
    }
    const daemon = await launchDaemon({ dir, pairs }, true);
    live.daemonPid = daemon.proc.pid;
    ctx = { clock, remote, dir, daemon, pairs, daemonStarts: [0], failures, notes: [] };
    const c = ctx;
    for (const sp of pairs) await daemon.waitPass(sp.name, undefined, 120_000);
    let stopping = false;
    const mon = monitor.run(c, () => stopping);
    const faultsDone = faults.run(c);
    let ops = 0;
    let lastReport = Date.now();
    while (Date.now() < clock.end) {
      const sp = rng.pick(pairs) as SoakPair;
      const side: Side = rng.next() < 0.5 ? 'L' : 'R';
      await driver.step(sp, side, trash[side]);
      live.daemonPid = c.daemon.proc.pid;
      ops++;
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const m = memoryWatch.rss[memoryWatch.rss.length - 1];
        const h = memoryWatch.probeSamples().pop();
        console.log(
          `[${clock.since()}] ${ops} ops, ${ledger.size} contents, rss ${m ? (m.rssKiB / 1024).toFixed(1) : '?'} MiB, heap after GC ${h ? (h.heapUsed / 2 ** 20).toFixed(1) : '?'} MiB`,
        );
      }
      await sleep(opts.paceMs);
    }
    await faultsDone;
    const changesEnd = clock.elapsed();
    console.log(`[${clock.since()}] changes stopped after ${ops} operations; final passes`);
    if (!remote.isMounted()) await remote.mount();
    if (c.daemon.proc.exitCode !== null || c.daemon.proc.signalCode !== null) {
      failures.push(`the daemon died on its own: ${c.daemon.describe()}`);
      c.daemon = await launchDaemon(c, false);
    }
    await c.daemon.waitFor(() => true, 'the daemon');
    for (const sp of pairs) await quiesce(c, sp);
    stopping = true;
    await mon;

    const checks = await checkEnd(c, ledger);
    const lastStart = c.daemonStarts[c.daemonStarts.length - 1] ?? 0;
    const mem = judgeMemory(
      memoryWatch.rss,
      memoryWatch.probeSamples(),
      c.daemon.proc.pid ?? -1,
      lastStart,
      changesEnd,
      opts.memoryRules,
    );
    if (mem.grew) failures.push(`daemon memory grew: ${mem.text}`);
    const exit = await c.daemon.proc.stop('SIGTERM', 60_000).catch((e: Error) => e.message);
    if (typeof exit === 'string' || exit.code !== 0) failures.push(`final SIGTERM: ${JSON.stringify(exit)}`);

    const summary = buildReport({
      options: opts,
      ctx: c,
      driver,
      faults: faults.records,
      monitor,
      memoryWatch,
      checks,
      memory: mem,
      changesEnd,
    });
    writeFileSync(opts.report, `${JSON.stringify(summary, null, 2)}\n`);
    printSummary(summary, checks.ledger, faults.records);
    if (failures.length) keepEvidence(remote, dir);
    return failures.length ? 1 : 0;
  } catch (e) {
    failures.push(`soak aborted: ${(e as Error).stack ?? String(e)}`);
    console.error(failures.join('\n'));
    keepEvidence(remote, dir);
    return 1;
  } finally {
    if (ctx) {
      const p = ctx.daemon.proc;
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await p.exited.catch(() => undefined);
      }
    }
    await remote.stop().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    await rm(dir.dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
