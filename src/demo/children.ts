// Child processes the demo starts and so owns: stopped only by their own PIDs, never by name, since the
// user may run other sshd or sshfs processes on the same machine.
import { spawn, type ChildProcess } from 'node:child_process';

export interface OwnedChild {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited (or could not start). */
  readonly exited: Promise<void>;
  alive(): boolean;
  /** The last few KiB of its stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now, without waiting (for a forced stop and the exit hook). */
  killNow(): void;
}

const OUTPUT_KEPT = 8000;

/**
 * Starts `cmd` in a process group of its own: a Ctrl-C in the terminal goes to the demo only, which then
 * stops its children in order (the pair first, then the mount, then the server) instead of all at once.
 */
export function startChild(name: string, cmd: string, args: string[]): OwnedChild {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      out += `\n${cmd}: ${e.message}`;
      resolve();
    });
    child.once('close', () => resolve());
  });
  const alive = (): boolean =>
    child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid,
    exited,
    alive,
    output: () => out,
    async stop(graceMs = 5000): Promise<void> {
      if (!alive()) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const r = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (r === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
    },
    killNow(): void {
      if (alive()) child.kill('SIGKILL');
    },
  };
}

/** Polls `cond` until it holds; false if `timeoutMs` passes first. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
