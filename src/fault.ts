// Fault injection for tests only: kill the process at the Nth filesystem or archive step of a run.
//
// LAZYSYNC_FAULT_STEP=N   the Nth call of faultPoint sends SIGKILL to this process (no cleanup, no
//                         finally blocks, no SQLite close: a power cut of the process, not of the disk).
// LAZYSYNC_FAULT_TRACE=F  each call appends `n label [path]` to the file F (written synchronously, so the
//                         line of the step that is killed is there too).
// Both are read once, when this module loads; with neither set faultPoint is one boolean check. The one
// other place that reads the environment is config.ts: this is a test switch, not a setting.
import { appendFileSync } from 'node:fs';

const step = parseStep(process.env.LAZYSYNC_FAULT_STEP);
const trace = process.env.LAZYSYNC_FAULT_TRACE || undefined;
const enabled = step !== undefined || trace !== undefined;
let count = 0;

/**
 * Marks the instant right before a change to a root or to the archive. `label` names the kind of step
 * (a constant, e.g. 'copy: rename into place'); `where` (a path, binary string or Buffer) is only traced.
 */
export function faultPoint(label: string, where?: string | Buffer): void {
  if (enabled) hit(label, where);
}

function hit(label: string, where: string | Buffer | undefined): void {
  count++;
  if (trace !== undefined) {
    const at = where === undefined ? '' : ` ${JSON.stringify(latin1(where))}`;
    appendFileSync(trace, `${count} ${label}${at}\n`);
  }
  if (count === step) {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL to ourselves is fatal at once; never go on to the step it was meant to stop.
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
}

function latin1(where: string | Buffer): string {
  return typeof where === 'string' ? where : where.toString('latin1');
}

function parseStep(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`LAZYSYNC_FAULT_STEP must be a whole number from 1, not ${JSON.stringify(raw)}`);
  }
  return n;
}
