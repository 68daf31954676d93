// Moves: a folder of many small files renamed on one side, at the standard one-way delay (20 ms), and what
// propagating the rename to the other side costs: the next `lazysync sync` (eager and lazy, renamed in the
// local folder; eager, renamed in the server's own folder as another machine would), `rsync -a --delete`
// and `unison` after the same local rename, and lazysync's no-change pass over the same pair. Each in wall
// time, in round trips of the mount and on the wire (the relay's busy time); every lazysync pass is checked:
// the server holds the renamed folder whole, the old name is gone, nothing was versioned.
import { cpSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRemote } from './net.js';
import { mountIdentityOf } from '../src/fsops/probe-run.js';
import { NAMES, OTHERS, checkSide, lstat, makeTree, versioned, versionsOf } from './move-tree.js';
import { bin, fmt, met, ms, type Section } from './lib.js';
import { SSHFS_CACHE_S, medianRun, run, timedThroughRelay, type Exit, type Run } from './timing.js';

export interface MoveOptions {
  /** Files in the folder that is renamed (4 KiB each). */
  files: number;
  /** One-way delay of the timed runs. */
  delay: number;
  /** Timed runs of each lazysync figure (the folder is renamed back and forth). */
  runs: number;
  /** Timed runs of rsync and unison (minutes each at 20 ms for 1,000 files). */
  slowRuns: number;
  /** False to time lazysync only (no rsync, no unison): to re-check lazysync after a change. */
  references?: boolean;
}

type Pair = 'eager' | 'lazy';

/** The lazysync target: a move costs fewer round trips than this beyond the no-change pass. */
const TARGET_RTTS = 10;

interface Row {
  what: string;
  run: Run;
  /** The time of the no-change pass of the same pair, for lazysync's rows; undefined for references. */
  baseline?: Run;
  check: string;
  /** Shown instead of the times (the guard refused). */
  note?: string;
}

export async function benchMove(
  br: BenchRemote,
  o: MoveOptions,
  log: (s: string) => void,
): Promise<Section[]> {
  const { remote } = br;
  const S = (c: string): string => path.join(remote.serverDir, `mv-${c}`);
  const R = (c: string): string => path.join(remote.mountDir, `mv-${c}`);
  const L = (c: string): string => path.join(remote.base, `mv-${c}-local`);
  const home = path.join(remote.base, 'mv-home');
  mkdirSync(path.join(home, 'unison'), { recursive: true });
  const unisonEnv = { ...process.env, HOME: home, UNISON: path.join(home, 'unison') };
  /** Each pair's mount identity at its last pass: lazysync probes the mount again when it changes. */
  const known = new Map<Pair, string>();
  const identity = async (c: Pair): Promise<string> => JSON.stringify((await mountIdentityOf(R(c))) ?? null);
  const sync = async (c: Pair, ...extra: string[]): Promise<Exit> => {
    const lazy = c === 'lazy' ? 'y' : 'n';
    const r = await run('node', [
      bin,
      'sync',
      '-r',
      R(c),
      '-l',
      L(c),
      '-L',
      lazy,
      '--log-level',
      'warn',
      ...extra,
    ]);
    known.set(c, await identity(c));
    return r;
  };
  const rsync = () => run('rsync', ['-a', '--delete', `${L('rsync')}/`, `${R('rsync')}/`]);
  const unison = () =>
    run(
      'unison',
      [
        L('unison'),
        R('unison'),
        '-batch',
        '-silent',
        '-times',
        '-ignoreinodenumbers',
        '-confirmbigdel=false',
      ],
      unisonEnv,
    );
  const must = async (what: string, p: Promise<{ code: number; stderr: string }>): Promise<void> => {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(-500)}`);
  };

  // Set-up without delay: the trees on the server, first syncs, identical copies for rsync and unison,
  // unison's archive.
  log(
    `move: ${o.files} files of 4 KiB in ${NAMES[0]}/ plus ${Object.keys(OTHERS).length} others; set-up at 0 ms`,
  );
  await br.setDelay(0);
  for (const c of ['eager', 'lazy', ...(o.references === false ? [] : ['rsync', 'unison'])])
    makeTree(S(c), o.files);
  await must('first eager sync', sync('eager'));
  await must('first lazy sync', sync('lazy'));
  if (o.references !== false) {
    for (const c of ['rsync', 'unison']) cpSync(S(c), L(c), { recursive: true, preserveTimestamps: true });
    await must('rsync set-up', rsync());
    await must('unison set-up', unison());
  }

  await br.setDelay(o.delay);
  // The best of a few samples: a busy machine makes single ones slower, never faster.
  const rtt = Math.min(...[0, 1, 2, 3, 4].map(() => br.rtt()));
  log(`  delay ${o.delay} ms, rtt ${ms(rtt)}`);
  /**
   * Remounts (cold caches), then `before` (the rename), then times `go`. lazysync probes a mount whose
   * identity changed (after a remount, unless the kernel gives it its old numbers back), which a pass
   * on a mount that stays up never pays: then a no-change pass of the pair takes the probe first and
   * sshfs's caches are waited out instead.
   */
  const timed = async (
    what: string,
    go: () => Promise<Exit>,
    opts: { pair?: Pair; before?: () => void } = {},
  ): Promise<Run> => {
    await br.cold();
    const { pair } = opts;
    if (pair !== undefined && (await identity(pair)) !== known.get(pair)) {
      log(
        `  (new mount identity: lazysync ${pair} probes it in a pass first, then ${SSHFS_CACHE_S} s for sshfs's caches)`,
      );
      await must(`lazysync ${pair}, probe`, sync(pair));
      await sleep(SSHFS_CACHE_S * 1000);
    }
    opts.before?.();
    return timedThroughRelay(br, o.delay, rtt, what, go, log);
  };
  const rows: Row[] = [];
  const fails: string[] = [];

  interface Moves {
    what: string;
    runs: number;
    /** Renames the folder on one side. */
    rename: (from: string, to: string) => void;
    /** The pass or the command that carries the rename over (`confirm`: with --confirm-deletes). */
    go: (confirm: boolean) => Promise<Exit>;
    /** What is wrong after it (empty: all is well). */
    check: (from: string, to: string) => string[];
    /** The lazysync pair: its no-change pass, and the pair whose mount identity matters. */
    pair?: Pair;
    baseline?: Run;
    /** 1: the folder is under its second name at the start. */
    first?: number;
  }

  /** Renames the folder `runs` times (back and forth), timing the pass after each; checks each. */
  const moves = async (m: Moves): Promise<void> => {
    const { what, baseline, pair } = m;
    const done: Run[] = [];
    const problems: string[] = [];
    const first = m.first ?? 0;
    const fail = (line: string): void => {
      log(`  FAIL: ${line}`);
      fails.push(line);
    };
    for (let i = first; i < first + m.runs; i++) {
      const [from, to] = i % 2 === 0 ? NAMES : ([NAMES[1], NAMES[0]] as const);
      const r = await timed(`${what} (${from}/ -> ${to}/)`, () => m.go(false), {
        ...(pair && { pair }),
        before: () => m.rename(from, to),
      });
      if (r.code !== 0 && r.stderr.includes('--confirm-deletes')) {
        // The pass saw deletions, not a move: the guard stopped it. Its cost, confirmed, is the old behaviour.
        fail(`${what} (${from}/ -> ${to}/): refused by the mass-delete guard`);
        rows.push({
          what,
          run: r,
          ...(baseline && { baseline }),
          check: '**FAIL**: not applied',
          note: 'refused by the mass-delete guard',
        });
        const forced = await timed(`${what}, --confirm-deletes`, () => m.go(true));
        const bad = m.check(from, to);
        if (forced.code !== 0) bad.push(`exit ${forced.code}`);
        if (bad.length) fail(`${what}, --confirm-deletes: ${bad.join('; ')}`);
        rows.push({
          what: `${what}, \`--confirm-deletes\``,
          run: forced,
          ...(baseline && { baseline }),
          check: bad.length ? `**FAIL**: ${bad.join('; ')}` : 'ok',
        });
        return;
      }
      const bad = m.check(from, to);
      if (r.code !== 0) bad.push(`exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
      if (bad.length) fail(`${what} (${from}/ -> ${to}/): ${bad.join('; ')}`);
      problems.push(...bad.filter((b) => !problems.includes(b)));
      done.push(r);
      // The next rename would start from a broken state.
      if (bad.length) break;
    }
    rows.push({
      what,
      run: medianRun(done),
      ...(baseline && { baseline }),
      check: problems.length ? `**FAIL**: ${problems.join('; ')}` : 'ok',
    });
  };

  /** What is wrong with both sides of pair `c` after `from` -> `to`, and with the versions kept. */
  const checkPair = (c: Pair, from: string, to: string, versionsBefore: number): string[] => [
    ...checkSide(S(c), { files: o.files, from, to }).map((b) => `server: ${b}`),
    ...checkSide(L(c), { files: o.files, from, to, ...(c === 'lazy' && { placeholdersTo: R(c) }) }).map(
      (b) => `local: ${b}`,
    ),
    ...versioned(versionsBefore, versionsOf(S(c)) + versionsOf(L(c))),
  ];

  /** Pair `c`: its no-change pass, then the folder renamed in the local folder. */
  const local = async (c: Pair): Promise<Run> => {
    const nothing: Run[] = [];
    for (let i = 0; i < o.runs; i++)
      nothing.push(await timed(`lazysync ${c}, no change`, () => sync(c), { pair: c }));
    const baseline = medianRun(nothing);
    rows.push({ what: `lazysync ${c}, no change`, run: baseline, check: '-' });
    let versions = 0;
    await moves({
      what: `lazysync ${c}, renamed locally`,
      runs: o.runs,
      rename: (from, to) => {
        versions = versionsOf(S(c)) + versionsOf(L(c));
        renameSync(path.join(L(c), from), path.join(L(c), to));
      },
      go: (confirm) => sync(c, ...(confirm ? ['--confirm-deletes'] : [])),
      check: (from, to) => checkPair(c, from, to, versions),
      pair: c,
      baseline,
    });
    return baseline;
  };

  const eagerBase = await local('eager');
  await local('lazy');

  // Renamed in the server's own folder, as another machine would: the eager pair again, from the name
  // the local renames left.
  let versions = 0;
  await moves({
    what: 'lazysync eager, renamed on the server',
    runs: o.runs,
    rename: (from, to) => {
      versions = versionsOf(S('eager')) + versionsOf(L('eager'));
      renameSync(path.join(S('eager'), from), path.join(S('eager'), to));
    },
    go: (confirm) => sync('eager', ...(confirm ? ['--confirm-deletes'] : [])),
    check: (from, to) => checkPair('eager', from, to, versions),
    pair: 'eager',
    baseline: eagerBase,
    first: lstat(path.join(S('eager'), NAMES[0])) !== undefined ? 0 : 1,
  });

  const refs =
    o.references === false
      ? []
      : ([
          ['rsync', rsync],
          ['unison', unison],
        ] as const);
  for (const [c, go] of refs)
    await moves({
      what: c === 'rsync' ? '`rsync -a --delete L/ R/`' : '`unison L R -batch`',
      runs: o.slowRuns,
      rename: (from, to) => renameSync(path.join(L(c), from), path.join(L(c), to)),
      go,
      check: (from, to) => checkSide(S(c), { files: o.files, from, to }).map((b) => `server: ${b}`),
    });

  for (const f of fails) log(`FAIL: move: ${f}`);
  return sections(o, rtt, rows);
}

function sections(o: MoveOptions, rtt: number, rows: Row[]): Section[] {
  const inRtt = (msecs: number): string => (msecs / rtt).toFixed(1);
  const both = (msecs: number): string => (Number.isNaN(msecs) ? '-' : `${ms(msecs)} (${inRtt(msecs)})`);
  const beyond = (r: Row): number => (r.baseline ? r.run.seconds * 1000 - r.baseline.seconds * 1000 : NaN);
  const moves: Section = {
    title: `Moves: a folder of ${o.files.toLocaleString('en')} files renamed, at ${o.delay} ms delay`,
    intro: [
      `\`${NAMES[0]}/\` holds ${o.files.toLocaleString('en')} files of 4 KiB, beside ${Object.keys(OTHERS).length} other files. After a first sync (at 0 ms)`,
      `the folder is renamed \`${NAMES[0]}/\` -> \`${NAMES[1]}/\` (and back, run after run) and the next pass is timed, cold`,
      'caches: `lazysync sync` in an eager (`-L n`) and a lazy (`-L y`) pair, renamed in the local folder, and in',
      "the eager pair renamed in the server's own folder (as another machine would), beside the pair's no-change",
      ...(o.references === false
        ? [`pass (rsync and unison left out: \`--lazysync-only\`). Median of ${o.runs} run(s).`]
        : [
            'pass; `rsync -a --delete L/ R/` and `unison L R -batch -times -ignoreinodenumbers -confirmbigdel=false`',
            `(archive from a first run) after the same local rename. Median of ${o.runs} run(s) (rsync, unison: ${o.slowRuns}).`,
          ]),
      '"Round trips": wall time / the measured rtt. "Beyond no-change": the same for the time beyond the',
      'pair\'s no-change pass. "On the wire": the time anything was in flight through the relay, in round trips',
      'of 2 x the delay (requests in flight together count once). "Sends": chunks sshfs sent to the server (about',
      'one per request; fewer when sent together). Check: the server (and the local folder) hold the renamed folder',
      'with every file and its content (lazy: placeholders naming the new path), the old name is gone, the other',
      'files are untouched, no new file in either `.lazysync/versions`.',
      `Target: a move costs lazysync under ${TARGET_RTTS} round trips beyond its no-change pass, both modes.`,
    ],
    head: [
      'what',
      'rtt (measured)',
      'wall',
      'round trips',
      'beyond no-change',
      'on the wire',
      'sends',
      'check',
      'target',
    ],
    rows: rows.map((r) => [
      r.what,
      ms(rtt),
      `${fmt(r.run.seconds)}${r.note ? ` (${r.note})` : ''}`,
      inRtt(r.run.seconds * 1000),
      r.baseline ? inRtt(beyond(r)) : '-',
      r.run.wireRtts.toFixed(1),
      String(r.run.sends),
      r.check,
      r.baseline ? met(r.note === undefined && r.check === 'ok' && beyond(r) / rtt < TARGET_RTTS) : '-',
    ]),
  };
  const split: Section = {
    title: 'Moves: where the time of each pass goes',
    intro: [
      "The same runs, their wall time split by the relay's first and last chunk: start-up (process start to the",
      'first request on the mount), the span from the first to the last request, and the end (last request to the',
      'exit: local work and exit). In ms and, in brackets, round trips of the measured rtt. "On the wire beyond',
      'no-change": what the move added to the no-change pass on the wire, in round trips of 2 x the delay.',
    ],
    head: [
      'what',
      'wall',
      'start-up',
      'first to last request',
      'end',
      'on the wire',
      'on the wire beyond no-change',
    ],
    rows: rows.map((r) => [
      r.what,
      both(r.run.seconds * 1000),
      both(r.run.beforeMs),
      both(r.run.spanMs),
      both(r.run.afterMs),
      r.run.wireRtts.toFixed(1),
      r.baseline ? (r.run.wireRtts - r.baseline.wireRtts).toFixed(1) : '-',
    ]),
  };
  return [moves, split];
}
