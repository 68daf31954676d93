// Fault injection on a fixed schedule: the remote unmounted or its sshfs killed for 8 seconds, the daemon
// stopped with SIGTERM or killed with SIGKILL and started again 3 seconds later, while the driver goes on.
import { sleep } from './clock.js';
import { apiStatus, launchDaemon, type RunContext } from './daemon.js';

export interface FaultRecord {
  at: string;
  kind: string;
  outcome: string;
}

// Fractions of the run; the last daemon restart is early so the memory series has a long tail.
const SCHEDULE: [number, string][] = [
  [0.1, 'unmount'],
  [0.18, 'daemon-sigterm'],
  [0.26, 'kill-sshfs'],
  [0.34, 'daemon-sigkill'],
  [0.45, 'unmount'],
  [0.6, 'kill-sshfs'],
  [0.72, 'unmount'],
  [0.85, 'kill-sshfs'],
];

export class Faults {
  /** Every fault injected, in order, with what the daemon did about it. */
  readonly records: FaultRecord[] = [];

  /** Injects each fault of the schedule at its time; a fault that fails is a failure of the run. */
  async run(ctx: RunContext): Promise<void> {
    const { t0, end } = ctx.clock;
    for (const [frac, kind] of SCHEDULE) {
      const at = t0 + frac * (end - t0);
      while (Date.now() < at) await sleep(Math.min(1000, at - Date.now()));
      try {
        await this.inject(ctx, kind);
      } catch (e) {
        ctx.failures.push(`fault ${kind} at ${ctx.clock.since()}: ${(e as Error).message}`);
        if (!ctx.remote.isMounted()) await ctx.remote.mount().catch(() => undefined);
      }
    }
  }

  private async inject(ctx: RunContext, kind: string): Promise<void> {
    const at = ctx.clock.since();
    let outcome = '';
    const outage = 8000;
    switch (kind) {
      case 'unmount':
      case 'kill-sshfs': {
        if (kind === 'unmount') await ctx.remote.unmount();
        else await ctx.remote.killSshfs();
        const paused = await waitStates(ctx, 'remote-unavailable', outage);
        await ctx.remote.mount();
        outcome = `remote down ${outage / 1000}s; pairs that reported remote-unavailable: ${paused.join(', ') || 'none'}`;
        const back = await waitStates(ctx, 'idle', 60_000);
        outcome += `; idle again: ${back.join(', ') || 'none'}`;
        break;
      }
      case 'daemon-sigterm': {
        const exit = await ctx.daemon.proc.stop('SIGTERM', 60_000).catch((e: Error) => e.message);
        if (typeof exit === 'string' || exit.code !== 0) {
          ctx.failures.push(
            `daemon restart at ${at}: SIGTERM exit ${JSON.stringify(exit)}\n${ctx.daemon.describe()}`,
          );
        }
        await sleep(3000); // changes go on while it is down
        ctx.daemon = await launchDaemon(ctx, false);
        ctx.daemonStarts.push(ctx.clock.elapsed());
        outcome = `exit ${JSON.stringify(exit)}; down 3s; restarted as pid ${ctx.daemon.proc.pid}`;
        break;
      }
      case 'daemon-sigkill': {
        ctx.daemon.proc.kill('SIGKILL');
        const exit = await ctx.daemon.proc.exited;
        await sleep(3000);
        ctx.daemon = await launchDaemon(ctx, false);
        ctx.daemonStarts.push(ctx.clock.elapsed());
        outcome = `exit ${JSON.stringify(exit)}; down 3s; restarted as pid ${ctx.daemon.proc.pid}`;
        break;
      }
    }
    this.records.push({ at, kind, outcome });
    console.log(`[${ctx.clock.since()}] fault ${kind}: ${outcome}`);
  }
}

/** The pairs that reported `want` within `ms` (stops early once every pair has). */
async function waitStates(ctx: RunContext, want: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  const got = new Set<string>();
  while (Date.now() < deadline && got.size < ctx.pairs.length) {
    for (const p of (await apiStatus(ctx))?.pairs ?? []) if (p.state === want) got.add(p.name);
    await sleep(250);
  }
  return [...got];
}
