// The transfers of a pair in flight, for status and live views: each copy's progress, rate and time left.
import { display } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import type { Progress } from './exec-context.js';
import type { Transfer } from './runner-api.js';

/** A transfer not heard of for this long is dropped (its copy failed or was abandoned). */
const STALE_TRANSFER_MS = 10_000;
/** Live views get a transfer's progress at most this often (and its start and end). */
const EVENT_EVERY_MS = 250;

interface LiveTransfer extends Progress {
  started: number;
  updated: number;
}

export class LiveTransfers {
  private readonly live = new Map<RelPath, LiveTransfer>();

  /** Takes a copy's progress; true when it is worth an event (not every chunk). */
  update(p: Progress, now = Date.now()): boolean {
    const prev = this.live.get(p.path);
    if (p.done) this.live.delete(p.path);
    else this.live.set(p.path, { ...p, started: prev?.started ?? now, updated: now });
    return p.done || prev === undefined || now - prev.updated >= EVENT_EVERY_MS;
  }

  /** The transfers heard of lately, with their rates. */
  list(now = Date.now()): Transfer[] {
    const out: Transfer[] = [];
    for (const [rel, t] of this.live) {
      if (now - t.updated > STALE_TRANSFER_MS) {
        this.live.delete(rel);
        continue;
      }
      const rate = t.bytes / Math.max((now - t.started) / 1000, 0.001);
      out.push({
        path: display(rel),
        direction: t.direction,
        bytes: t.bytes,
        total: t.total,
        rate,
        etaSeconds: rate > 0 ? (t.total - t.bytes) / rate : null,
      });
    }
    return out;
  }
}
