// Shared helpers for benchmarks: timing, medians, machine facts and the markdown report.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = path.join(repoRoot, 'bin', 'lazysync.js');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/** Runs a command to completion and returns its wall time in seconds; throws on a non-zero exit. */
export function timeCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env }));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(s);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
    });
  });
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  const sshfs = (() => {
    try {
      return execFileSync('sshfs', ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).split('\n')[0];
    } catch {
      return 'sshfs ?';
    }
  })();
  return `${distro}, kernel ${os.release()}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${sshfs}`;
}

export function fmt(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}

/** Runs a command under GNU time: wall seconds and peak RSS (maxrss of the process, in MiB). */
export async function timeWithRss(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; peakMiB: number }> {
  const out = path.join(os.tmpdir(), `lazysync-bench-time-${process.pid}-${Date.now()}`);
  try {
    await timeCommand('/usr/bin/time', ['-f', '%e %M', '-o', out, cmd, ...args], env);
    const [e, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ');
    return { seconds: Number(e), peakMiB: Number(m) / 1024 };
  } finally {
    rmSync(out, { force: true });
  }
}

/** utime + stime of a process in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state): utime is field 14, stime 15.
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

const clkTck = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export async function until(cond: () => boolean, timeoutMs: number, everyMs = 1): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}

/** One section of the report: printed to stdout and written to docs/benchmarks.md. */
export interface Section {
  title: string;
  intro: string[];
  head: string[];
  rows: string[][];
  notes?: string[];
}

export function renderSection(s: Section): string {
  return [
    `## ${s.title}`,
    '',
    ...(s.intro.length ? [...s.intro, ''] : []),
    `| ${s.head.join(' | ')} |`,
    `|${s.head.map(() => '---').join('|')}|`,
    ...s.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...(s.notes?.length ? [...s.notes, ''] : []),
  ].join('\n');
}

export const met = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
export const ms = (x: number): string => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
export const ratio = (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)}×`;

/** Versions of the tools measured, one line each. */
export function toolVersions(): string[] {
  const first = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? `${cmd} ?`;
  };
  const sshfs = spawnSync('sshfs', ['--version'], { encoding: 'utf8' });
  return [
    `sshfs: ${`${sshfs.stdout}${sshfs.stderr}`.trim().split('\n').join('; ')}`,
    `OpenSSH: ${first('ssh', ['-V'])}`,
    `rsync: ${first('rsync', ['--version'])}`,
    `unison: ${first('unison', ['-version'])}`,
    `find: ${first('find', ['--version'])}`,
    `cp: ${first('cp', ['--version'])}`,
  ];
}

// Clean-up on the way out, also on SIGINT/SIGTERM: the children this process started (by PID) and temp
// folders. The remote fixture and the relays clean up after themselves on exit.
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function cleanupSync(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) spawnSync('rm', ['-rf', d]);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(sig, () => {
      process.stderr.write(`bench: ${sig}, cleaning up\n`);
      process.exit(130);
    });
}

/** Kills `child` if the benchmark exits before it does. */
export function track<T extends ChildProcess>(child: T): T {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Removes `dir` if the benchmark exits before `release` is called (then the caller removes it). */
export function tempDir(dir: string): { release(): void } {
  hook();
  dirs.add(dir);
  return { release: () => void dirs.delete(dir) };
}

/** Stops a tracked child with SIGTERM and waits for its exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
