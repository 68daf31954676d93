// Pruning: many versions on the remote, all past the retention rule, and what removing them costs at the
// standard one-way delay (20 ms): `lazysync sync --versions-max-age 1d` (a no-change pass, then the prune)
// less the same pair's no-change pass, beside removing the same files by hand through the mount
// (`find ... -type f -delete`, `rm -rf`). In wall time, round trips of the mount and on the wire, per
// version; every run is checked: the version files gone from the server, the ledger empty, the synced files
// untouched.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mountIdentityOf } from '../src/fsops/probe-run.js';
import { VERSIONS_DIR } from '../src/versions/versions.js';
import type { BenchRemote } from './net.js';
import { bin, fmt, ms, ratio, type Section } from './lib.js';
import {
  FILES_PER_FOLDER,
  FOLDERS,
  SIZE,
  checkTree,
  ledgerCount,
  leftInVersions,
  makeTree,
  placeVersions,
  recordVersions,
} from './prune-tree.js';
import { SSHFS_CACHE_S, medianRun, run, timedThroughRelay, type Exit, type Run } from './timing.js';

export interface PruneBenchOptions {
  /** Versions on the remote (4 KiB each), all pruned. */
  versions: number;
  /** One-way delay of the timed runs. */
  delay: number;
  /** Timed runs of each lazysync figure. */
  runs: number;
  /** Timed runs of each reference (about a round trip per file, one after the other). */
  slowRuns: number;
}

/** The rule of the timed prune: every placed version is older. */
const RULE = ['--versions-max-age', '1d'];

interface Row {
  what: string;
  run: Run;
  check: string;
}

export async function benchPrune(
  br: BenchRemote,
  o: PruneBenchOptions,
  log: (s: string) => void,
): Promise<Section[]> {
  const { remote } = br;
  const S = path.join(remote.serverDir, 'prune');
  const R = path.join(remote.mountDir, 'prune');
  const L = path.join(remote.base, 'prune-local');
  const versionsOnMount = path.join(R, VERSIONS_DIR);
  /** The pair's mount identity at its last pass: lazysync probes the mount again when it changes. */
  let known = '';
  const identity = async (): Promise<string> => JSON.stringify((await mountIdentityOf(R)) ?? null);
  const sync = async (...extra: string[]): Promise<Exit> => {
    const r = await run('node', [bin, 'sync', '-r', R, '-l', L, '-L', 'n', '--log-level', 'warn', ...extra]);
    known = await identity();
    return r;
  };
  const must = async (what: string, p: Promise<Exit>): Promise<void> => {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(-500)}`);
  };

  const files = FOLDERS * FILES_PER_FOLDER;
  log(
    `prune: ${o.versions} versions of ${SIZE / 1024} KiB of ${files} files in ${FOLDERS} folders; set-up at 0 ms`,
  );
  await br.setDelay(0);
  makeTree(S);
  await must('first eager sync', sync());

  await br.setDelay(o.delay);
  // The best of a few samples: a busy machine makes single ones slower, never faster.
  const rtt = Math.min(...[0, 1, 2, 3, 4].map(() => br.rtt()));
  log(`  delay ${o.delay} ms, rtt ${ms(rtt)}`);

  /**
   * Remounts (cold caches) and times `go`. A lazysync pass (`pair`) on a mount whose identity changed would
   * probe it first, which a pass on a mount that stays up never pays: a no-change pass takes the probe, then
   * sshfs's caches are waited out.
   */
  const timed = async (what: string, go: () => Promise<Exit>, pair: boolean): Promise<Run> => {
    await br.cold();
    if (pair && (await identity()) !== known) {
      log(`  (new mount identity: a pass probes it first, then ${SSHFS_CACHE_S} s for sshfs's caches)`);
      await must('lazysync probe pass', sync());
      await sleep(SSHFS_CACHE_S * 1000);
    }
    return timedThroughRelay(br, o.delay, rtt, what, go, log);
  };
  const fails: string[] = [];
  /** The check column of a figure: 'ok' or what went wrong in any of its runs. */
  const verdict = (what: string, problems: string[]): string => {
    for (const p of problems) {
      log(`  FAIL: ${what}: ${p}`);
      fails.push(`${what}: ${p}`);
    }
    return problems.length ? `**FAIL**: ${[...new Set(problems)].join('; ')}` : 'ok';
  };
  const exitOf = (r: Exit): string[] =>
    r.code === 0 ? [] : [`exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`];

  // lazysync: the versions placed and recorded, then the no-change pass and the prune, run after run.
  const base: Run[] = [];
  const pruned: Run[] = [];
  const baseBad: string[] = [];
  const pruneBad: string[] = [];
  for (let i = 0; i < o.runs; i++) {
    recordVersions(L, placeVersions(S, o.versions, Date.now()));
    const b = await timed('lazysync, no change', () => sync(), true);
    const left = leftInVersions(S);
    baseBad.push(...exitOf(b), ...(left?.files !== o.versions ? ['versions removed without a rule'] : []));
    base.push(b);
    const p = await timed(`lazysync ${RULE.join(' ')}`, () => sync(...RULE), true);
    const bad = [...exitOf(p), ...checkPrune(p, S, L, o.versions)];
    pruneBad.push(...bad);
    pruned.push(p);
    // The next run would start from what this one left.
    if (bad.length) break;
  }
  const rows: Row[] = [
    { what: '`lazysync sync -L n`, no change', run: medianRun(base), check: verdict('no change', baseBad) },
    {
      what: `\`lazysync sync -L n ${RULE.join(' ')}\``,
      run: medianRun(pruned),
      check: verdict('prune', pruneBad),
    },
  ];

  // By hand through the mount, the same files each time.
  const refs = [
    {
      what: '`find R/.lazysync/versions -type f -delete`',
      go: () => run('find', [versionsOnMount, '-type', 'f', '-delete']),
      check: () => (leftInVersions(S)?.files ? [`${leftInVersions(S)?.files} version file(s) left`] : []),
    },
    {
      what: '`rm -rf R/.lazysync/versions`',
      go: () => run('rm', ['-rf', versionsOnMount]),
      check: () => (leftInVersions(S) === undefined ? [] : ['the versions folder is still there']),
    },
  ];
  for (const ref of refs) {
    const done: Run[] = [];
    const bad: string[] = [];
    for (let i = 0; i < o.slowRuns; i++) {
      placeVersions(S, o.versions, Date.now());
      const r = await timed(ref.what, ref.go, false);
      bad.push(...exitOf(r), ...ref.check());
      done.push(r);
    }
    rows.push({ what: ref.what, run: medianRun(done), check: verdict(ref.what, bad) });
  }

  const own = ownCost(rows);
  for (const ref of rows.slice(2))
    log(`  lazysync's prune / ${ref.what}: ${ratio((own.seconds * 1000) / (ref.run.seconds * 1000))}`);
  for (const f of fails) log(`FAIL: prune: ${f}`);
  return sections(o, rtt, rows, own);
}

/** What is wrong after a prune of all `n` versions (empty: all is well). */
function checkPrune(r: Exit, server: string, local: string, n: number): string[] {
  const bad: string[] = [];
  const left = leftInVersions(server);
  if (left !== undefined && left.files > 0) bad.push(`${left.files} version file(s) left on the server`);
  if (left !== undefined && left.folders > 0) bad.push(`${left.folders} emptied folder(s) left`);
  const recorded = ledgerCount(local);
  if (recorded > 0) bad.push(`the ledger still records ${recorded} version(s)`);
  bad.push(...checkTree(server).map((b) => `server: ${b}`), ...checkTree(local).map((b) => `local: ${b}`));
  const said = /pruned versions: 0 \([^)]*\) local, (\d+) \([^)]*\) remote/.exec(r.stdout);
  if (Number(said?.[1]) !== n) bad.push(`printed ${JSON.stringify(said?.[0] ?? 'no pruned line')}`);
  return bad;
}

/** The prune's own cost: the timed prune less the pair's no-change pass (rows 0 and 1). */
function ownCost(rows: Row[]): { seconds: number; wireRtts: number; sends: number } {
  const [base, prune] = rows.map((r) => r.run) as [Run, Run];
  return {
    seconds: prune.seconds - base.seconds,
    wireRtts: prune.wireRtts - base.wireRtts,
    sends: prune.sends - base.sends,
  };
}

function sections(
  o: PruneBenchOptions,
  rtt: number,
  rows: Row[],
  own: ReturnType<typeof ownCost>,
): Section[] {
  const n = o.versions;
  const inRtt = (msecs: number): string => (msecs / rtt).toFixed(1);
  const both = (msecs: number): string => (Number.isNaN(msecs) ? '-' : `${ms(msecs)} (${inRtt(msecs)})`);
  const per = (x: number, digits = 2): string => (x / n).toFixed(digits);
  const runs = (r: Row): number => (r.what.startsWith('`lazysync') ? o.runs : o.slowRuns);
  const main: Section = {
    title: `Pruning: ${n.toLocaleString('en')} versions on the remote, at ${o.delay} ms delay`,
    intro: [
      `An eager pair (\`-L n\`) synced ${FOLDERS} folders x ${FILES_PER_FOLDER} files of ${SIZE / 1024} KiB (at 0 ms). Before each run, ${n.toLocaleString('en')}`,
      `versions of ${SIZE / 1024} KiB (${n / (FOLDERS * FILES_PER_FOLDER)} per file, a minute apart, the newest two days old) are written into the server's`,
      "own `.lazysync/versions/` with the names lazysync gives them and, for lazysync's runs, recorded in the pair's",
      'ledger with their size and mtime, as if lazysync had kept them. Timed, cold caches (remounted before each',
      `run): the pair's no-change pass, \`lazysync sync ${RULE.join(' ')}\` (the same pass, then the prune of all`,
      `${n.toLocaleString('en')}), and by hand through the mount \`find R/.lazysync/versions -type f -delete\` and`,
      '`rm -rf R/.lazysync/versions`.',
      `Median of ${o.runs} run(s) (find, rm: ${o.slowRuns}). "Round trips": wall time / the measured rtt. "On the wire":`,
      'the time anything was in flight through the relay, in round trips of 2 x the delay (requests in flight',
      'together count once). "Sends": chunks sshfs sent to the server (about one per request). Start-up, requests',
      "and end split the wall time at the relay's first and last chunk. Check (prune): exit 0, every version file",
      'and emptied folder gone from the server, the ledger empty, the synced files untouched on both sides, the',
      'summary line counts them all; (find, rm): no version file left.',
    ],
    head: [
      'what',
      'runs',
      'rtt (measured)',
      'wall',
      'round trips',
      'start-up',
      'first to last request',
      'end',
      'on the wire',
      'sends',
      'check',
    ],
    rows: rows.map((r) => [
      r.what,
      String(runs(r)),
      ms(rtt),
      fmt(r.run.seconds),
      inRtt(r.run.seconds * 1000),
      both(r.run.beforeMs),
      both(r.run.spanMs),
      both(r.run.afterMs),
      r.run.wireRtts.toFixed(1),
      String(r.run.sends),
      r.check,
    ]),
  };
  const refs = rows.slice(2);
  const perVersion: Section = {
    title: 'Pruning: per version, against removing the files by hand',
    intro: [
      "lazysync's prune is its own cost: the timed prune less the pair's no-change pass (medians, same run).",
      '"lazysync / this": the prune\'s own wall time over the reference\'s (below 1: lazysync is faster).',
    ],
    head: [
      'what',
      'wall',
      'per version',
      'round trips per version',
      'on the wire per version',
      'sends per version',
      'lazysync / this',
    ],
    rows: [
      [
        "lazysync's prune (beyond no-change)",
        fmt(own.seconds),
        ms((own.seconds * 1000) / n),
        per((own.seconds * 1000) / rtt, 3),
        per(own.wireRtts, 3),
        per(own.sends),
        '-',
      ],
      ...refs.map((r) => [
        r.what,
        fmt(r.run.seconds),
        ms((r.run.seconds * 1000) / n),
        per((r.run.seconds * 1000) / rtt, 3),
        per(r.run.wireRtts, 3),
        per(r.run.sends),
        ratio(own.seconds / r.run.seconds),
      ]),
    ],
  };
  return [main, perVersion];
}
