// The tree part of the file-placeholder benchmark (bench/files.ts): a small git repository committed on the
// server, copied fresh for every timed command, and `cp -r`, `tar c` and `git status` run over its file
// placeholders, straight through the mount and over the hydrated tree. Each run is checked: the output is
// the server's tree byte for byte (git: nothing to report), and the daemon's log shows each file fetched at
// most once, every file for the copiers, nothing by a second run over the same tree.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { readTree, walk } from '../test/fixture/tree.js';
import { logLines } from '../test/fixture/run.js';
import type { BenchRemote } from './net.js';
import { fmt, median, ms, ratio, type Section } from './lib.js';
import { medianRun, run, timedThroughRelay, type Run } from './timing.js';

export const TREE_COMMANDS = ['cp', 'tar', 'git'] as const;
export type TreeCommand = (typeof TREE_COMMANDS)[number];

/** How each command is shown in the report. */
export const SHOWN: Record<TreeCommand, string> = {
  cp: '`cp -r`',
  tar: '`tar c`',
  git: '`git status --porcelain`',
};

const FOLDERS = ['src/core', 'src/cli', 'src/util', 'test', 'docs'];

/**
 * A repository at `dir` with `files` text files of 0.5 to 12 KiB spread over a few folders, committed and
 * packed (`git gc`), made without the sample hooks a template would add.
 */
export function makeRepo(dir: string, files: number): void {
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < files; i++) {
    const folder = path.join(dir, FOLDERS[i % FOLDERS.length] as string);
    mkdirSync(folder, { recursive: true });
    const size = 512 + (next() % (12 * 1024 - 512));
    const line = `// file ${i}: ${next().toString(36)} ${next().toString(36)}\n`;
    writeFileSync(
      path.join(folder, `file-${i}.ts`),
      line.repeat(Math.ceil(size / line.length)).slice(0, size),
    );
  }
  const git = (...args: string[]): void =>
    void execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q', '--template=');
  git('add', '.');
  git('commit', '-qm', 'the tree');
  git('gc', '-q');
}

/** The files (not folders) below `root`, relative. */
export async function filesBelow(root: string): Promise<string[]> {
  return [...(await walk(root))].filter(([, st]) => st.isFile()).map(([rel]) => rel);
}

/** How many times the daemon's --log-file says each path was hydrated. */
export function hydrations(logFile: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const l of logLines(logFile)) {
    if (typeof l.msg === 'string' && l.msg.startsWith('hydrated ')) {
      seen.set(String(l.path), (seen.get(String(l.path)) ?? 0) + 1);
    }
  }
  return seen;
}

/** The log's hydrations below `prefix`, once they stop changing (the log is written a moment later). */
async function settledHydrations(logFile: string, prefix: string): Promise<Map<string, number>> {
  const below = (): Map<string, number> =>
    new Map([...hydrations(logFile)].filter(([p]) => p.startsWith(prefix)));
  let last = below();
  for (let quiet = 0, i = 0; quiet < 3 && i < 100; i++) {
    await sleep(200);
    const now = below();
    quiet = isDeepStrictEqual(now, last) ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

/** "ok", or what differs between the trees below `got` and `want`. */
async function sameTree(got: string, want: string): Promise<string> {
  const [a, b] = await Promise.all([readTree(got), readTree(want)]);
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter(
    (k) => !isDeepStrictEqual(a.get(k), b.get(k)),
  );
  return differ.length === 0 ? 'ok' : `${differ.length} paths differ (${differ.slice(0, 3).join(', ')})`;
}

export interface TreeWorld {
  br: BenchRemote;
  delay: number;
  rtt: number;
  /** Where the copies of the repository are: the server's folders (truth), the pair's local folder, and
   * the mount's view of the server folder that is not part of the pair. */
  serverTrees: string;
  serverDirect: string;
  localTrees: string;
  mountDirect: string;
  /** The pair's path of `localTrees` (as the log names paths), e.g. "trees". */
  relTrees: string;
  logFile: string;
  /** A scratch folder for the copies cp and tar make. */
  out: string;
}

export interface TreeSample {
  cmd: TreeCommand;
  files: number;
  placeholders: Run;
  hydrated: Run;
  direct: Run;
  /** Files the first run fetched, the most times one of them was, and what the second run fetched. */
  fetched: number;
  mostFetches: number;
  fetchedAgain: number;
  /** "ok" or what was wrong, for each run. */
  check: string;
}

/** One timed run of `cmd` over the copy `name` of the repository below `root`, checked against `truth`. */
async function once(
  w: TreeWorld,
  cmd: TreeCommand,
  root: string,
  name: string,
  truth: string,
  what: string,
  log: (s: string) => void,
): Promise<{ run: Run; check: string }> {
  const dest = path.join(w.out, `${what}-${name}`);
  const [prog, args] = ((): [string, string[]] => {
    if (cmd === 'cp') return ['cp', ['-r', path.join(root, name), dest]];
    if (cmd === 'tar') return ['tar', ['-C', root, '-cf', `${dest}.tar`, name]];
    return ['git', ['-c', 'safe.directory=*', '-C', path.join(root, name), 'status', '--porcelain']];
  })();
  const r = await timedThroughRelay(
    w.br,
    w.delay,
    w.rtt,
    `${what} ${cmd} ${name}`,
    () => run(prog, args),
    log,
  );
  // GNU tar exits 1 when a folder's ctime moved while it read the folder: kept apart from a wrong archive.
  const changed = r.stderr.split('\n').filter((l) => l.endsWith(': file changed as we read it'));
  const warned = cmd === 'tar' && r.code === 1 && changed.length === r.stderr.trim().split('\n').length;
  if (r.code !== 0 && !warned)
    return { run: r, check: `exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  if (cmd === 'git') return { run: r, check: r.stdout === '' ? 'ok' : `reported ${r.stdout.split('\n')[0]}` };
  if (cmd === 'tar') {
    mkdirSync(dest);
    execFileSync('tar', ['-C', dest, '-xf', `${dest}.tar`]);
    const archive = await sameTree(path.join(dest, name), truth);
    if (!warned) return { run: r, check: archive };
    return {
      run: r,
      check: `archive ${archive}, but exit 1: "file changed as we read it" for ${changed.length} folder(s)`,
    };
  }
  return { run: r, check: await sameTree(dest, truth) };
}

/** `cmd` over the fresh copy `name`: over its placeholders, again over the hydrated tree, and direct. */
export async function treeSample(
  w: TreeWorld,
  cmd: TreeCommand,
  name: string,
  log: (s: string) => void,
): Promise<TreeSample> {
  const truth = path.join(w.serverTrees, name);
  const all = await filesBelow(truth);
  const prefix = `${w.relTrees}/${name}/`;
  const first = await once(w, cmd, w.localTrees, name, truth, 'placeholders', log);
  const fetched = await settledHydrations(w.logFile, prefix);
  const second = await once(w, cmd, w.localTrees, name, truth, 'hydrated', log);
  const after = await settledHydrations(w.logFile, prefix);
  const direct = await once(w, cmd, w.mountDirect, name, path.join(w.serverDirect, name), 'direct', log);
  const mostFetches = Math.max(0, ...fetched.values());
  const fetchedAgain = [...after].reduce((n, [p, k]) => n + k - (fetched.get(p) ?? 0), 0);
  const problems = [
    first.check !== 'ok' && `over placeholders: ${first.check}`,
    second.check !== 'ok' && `over the hydrated tree: ${second.check}`,
    direct.check !== 'ok' && `direct: ${direct.check}`,
    mostFetches > 1 && `a file fetched ${mostFetches} times`,
    cmd !== 'git' && fetched.size !== all.length && `${fetched.size} of ${all.length} files fetched`,
    fetchedAgain > 0 && `the second run fetched ${fetchedAgain}`,
  ].filter((p): p is string => typeof p === 'string');
  return {
    cmd,
    files: all.length,
    placeholders: first.run,
    hydrated: second.run,
    direct: direct.run,
    fetched: fetched.size,
    mostFetches,
    fetchedAgain,
    check: problems.length === 0 ? 'ok' : problems.join('; '),
  };
}

/** The table of the tree commands, from every sample (medians per command). */
export function treeSection(samples: TreeSample[], files: number, rtt: number): Section {
  const byCmd = TREE_COMMANDS.map((cmd) => samples.filter((t) => t.cmd === cmd));
  const runs = Math.max(...byCmd.map((s) => s.length));
  return {
    title: 'File placeholders: git status, cp -r and tar c over a tree of placeholders',
    intro: [
      `A git repository of ${files} text files (0.5 to 12 KiB) in 5 folders, committed and packed on the server, so`,
      `${samples[0]?.files ?? '?'} files with its \`.git\`; a fresh copy for every run. Timed: the command over the copy's file`,
      'placeholders (the first run: it fetches), again over the same, now hydrated, tree, and over another copy',
      'straight through the mount (`cp -r R/tree`, `tar c` of `R/tree`, `git status` in `R/tree`). Fetches are the',
      "`hydrated` lines of the daemon's log, per path. Check: the copies equal the server's files byte for byte",
      '(tar: extracted), `git status --porcelain` prints nothing, no file fetched twice, cp and tar fetched every file,',
      `the second run fetched nothing. Medians of ${runs} run(s); "round trips": wall time / the rtt (${ms(rtt)}).`,
    ],
    head: [
      'command',
      'files',
      'runs',
      'over placeholders',
      'round trips',
      'on the wire',
      'straight through the mount',
      'placeholders / direct',
      'over the hydrated tree',
      'files fetched',
      'most fetches of a file',
      'fetched by the second run',
      'check',
    ],
    rows: byCmd
      .filter((s) => s.length > 0)
      .map((s) => {
        const ph = medianRun(s.map((x) => x.placeholders));
        const d = medianRun(s.map((x) => x.direct));
        const h = medianRun(s.map((x) => x.hydrated));
        const bad = [...new Set(s.map((x) => x.check).filter((c) => c !== 'ok'))].map(
          (c) => `${c} (${s.filter((x) => x.check === c).length} of ${s.length} runs)`,
        );
        return [
          SHOWN[s[0]!.cmd],
          String(s[0]!.files),
          String(s.length),
          fmt(ph.seconds),
          ((ph.seconds * 1000) / rtt).toFixed(0),
          ph.wireRtts.toFixed(0),
          fmt(d.seconds),
          ratio(ph.seconds / d.seconds),
          fmt(h.seconds),
          String(median(s.map((x) => x.fetched))),
          String(Math.max(...s.map((x) => x.mostFetches))),
          String(Math.max(...s.map((x) => x.fetchedAgain))),
          bad.length === 0 ? 'ok' : `**${bad.join('; ')}**`,
        ];
      }),
  };
}
