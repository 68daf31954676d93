// Commands timed through the delaying relay (bench/relay.ts): wall time, what went over the wire while they
// ran, and the medians of several runs. Shared by the scenarios that count round trips (move, prune).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRemote, WireStats } from './net.js';
import { fmt, median, ms, track } from './lib.js';

/** sshfs's cache timeout (default 20 s), and a second for the kernel's. */
export const SSHFS_CACHE_S = 21;

/** A command run to its end. */
export interface Exit {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Started and ended, ms since the epoch (comparable with the relay's times). */
  startAt: number;
  endAt: number;
}

/** A command timed through the relay. */
export interface Run extends Exit {
  /** Round trips paid one after the other on the wire: the relay's busy time / (2 x delay). */
  wireRtts: number;
  /** Chunks sshfs sent to the server. */
  sends: number;
  /** Where the wall time went: start to the first chunk, first to last chunk, last chunk to the exit. */
  beforeMs: number;
  spanMs: number;
  afterMs: number;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const startAt = epochMs();
    const t0 = process.hrtime.bigint();
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      resolve({
        startAt,
        endAt: epochMs(),
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
      }),
    );
  });
}

/** Waits until the relay has been quiet a while: a remount's own traffic may still be on the wire. */
export async function quietWire(br: BenchRemote, delay: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const w = await br.wire();
    if (i > 0 && w.up + w.down === 0) return;
    await sleep(4 * delay + 50);
  }
}

/**
 * Runs `go` once the wire is quiet and returns it with the relay's counters over it (`rtt`: the measured
 * round trip), logging one line: wall time in round trips, where it went, and on the wire.
 */
export async function timedThroughRelay(
  br: BenchRemote,
  delay: number,
  rtt: number,
  what: string,
  go: () => Promise<Exit>,
  log: (line: string) => void,
): Promise<Run> {
  await quietWire(br, delay);
  const r = await go();
  const out = { ...r, ...wireOf(r, await br.wire(), 2 * delay) };
  const exit = out.code !== 0 ? `; exit ${out.code}: ${out.stderr.trim().split('\n').pop() ?? ''}` : '';
  log(
    `  ${what}: ${fmt(out.seconds)} = ${((out.seconds * 1000) / rtt).toFixed(1)} rtt (start-up ` +
      `${ms(out.beforeMs)}, requests ${ms(out.spanMs)}, end ${ms(out.afterMs)}); on the wire ` +
      `${out.wireRtts.toFixed(1)} rtt, ${out.sends} sends${exit}`,
  );
  return out;
}

/** The relay's counters over a command's run (`rt`: 2 x the one-way delay). */
export function wireOf(r: Exit, w: WireStats, rt: number): Omit<Run, keyof Exit> {
  const none = w.firstAt === 0;
  return {
    wireRtts: rt > 0 ? w.busyMs / rt : NaN,
    sends: w.up,
    beforeMs: none ? NaN : w.firstAt - r.startAt,
    spanMs: none ? 0 : w.lastAt - w.firstAt,
    afterMs: none ? NaN : r.endAt - w.lastAt,
  };
}

/** Each figure's median over the runs (each on its own). */
export function medianRun(rs: Run[]): Run {
  const by = (k: keyof Omit<Run, 'stderr' | 'stdout'>): number => median(rs.map((r) => r[k]));
  return {
    ...(rs[0] as Run),
    seconds: by('seconds'),
    wireRtts: by('wireRtts'),
    sends: by('sends'),
    beforeMs: by('beforeMs'),
    spanMs: by('spanMs'),
    afterMs: by('afterMs'),
  };
}
