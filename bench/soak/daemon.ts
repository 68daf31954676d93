// The daemon under test and what the run shares about it: the run context (the remote, the daemon now
// running, its starts, the failures and notes of the run), how the daemon is launched, its status, and the
// monitor that polls the status and the daemon's memory every 2 seconds.
import {
  apiRequest,
  specOf,
  startDaemon,
  type ApiStatus,
  type Daemon,
  type DaemonDir,
} from '../../test/fixture/daemon.js';
import type { Remote } from '../../test/fixture/remote.js';
import { sleep, type RunClock } from './clock.js';
import type { MemoryWatch } from './memory.js';
import type { SoakPair } from './sides.js';

const INTERVAL_S = 2;

export interface RunContext {
  clock: RunClock;
  remote: Remote;
  dir: DaemonDir;
  /** The daemon running now: a fault that restarts it replaces it. */
  daemon: Daemon;
  pairs: SoakPair[];
  /** When each daemon started, in ms since the start of the run. */
  daemonStarts: number[];
  failures: string[];
  notes: string[];
}

export async function launchDaemon(ctx: Pick<RunContext, 'dir' | 'pairs'>, first: boolean): Promise<Daemon> {
  return startDaemon({
    dir: ctx.dir,
    writeConfig: first,
    pairs: ctx.pairs.map((sp) => specOf(sp.p, sp.name, { lazy: sp.lazy, interval: INTERVAL_S })),
  });
}

/** The daemon's status, or undefined while it does not answer (down, restarting, busy). */
export async function apiStatus(ctx: RunContext): Promise<ApiStatus | undefined> {
  try {
    const r = await apiRequest(ctx.dir.socket, 'GET', '/v1/status', undefined, 10_000);
    return r.status === 200 ? (r.json as ApiStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** What the monitor saw: how often each pair was in each state, and its most problems at once. */
export class StatusMonitor {
  readonly statesSeen: Record<string, Record<string, number>> = {};
  readonly maxProblems: Record<string, number> = {};

  constructor(private readonly memoryWatch: MemoryWatch) {}

  /** Polls until `stop()` says so. */
  async run(ctx: RunContext, stop: () => boolean): Promise<void> {
    while (!stop()) {
      const s = await apiStatus(ctx);
      for (const p of s?.pairs ?? []) {
        const seen = (this.statesSeen[p.name] ??= {});
        seen[p.state] = (seen[p.state] ?? 0) + 1;
        this.maxProblems[p.name] = Math.max(this.maxProblems[p.name] ?? 0, p.counts.problems);
      }
      this.memoryWatch.tick(ctx.daemon.proc.pid);
      await sleep(2000);
    }
  }
}
