// When a running pair prunes its versions: after a pass, when its retention rule is set and a prune is due;
// and on request (`lazysync prune`). One prune at a time per pair; requests wait their turn.
import type { RetentionRule } from '../core/retention.js';
import { hasRetention } from '../core/retention.js';
import { messageOf } from '../errors.js';
import { pruneVersions, type PruneHost, type PruneReport } from './prune.js';

/** With nothing versioned meanwhile, a pair prunes at most this often (time rules age versions out). */
const PRUNE_EVERY_MS = 10 * 60_000;

export class Pruner {
  private turn: Promise<unknown> = Promise.resolve();
  private nextDue = 0;

  constructor(
    private readonly host: PruneHost,
    private readonly rule: RetentionRule,
  ) {}

  /** Prunes with `rule` (the pair's own by default) once every earlier prune is done. */
  run(dryRun: boolean, rule: RetentionRule = this.rule): Promise<PruneReport> {
    const p = this.turn.then(() => pruneVersions(this.host, { rule, dryRun, now: Date.now() }));
    this.turn = p.catch(() => undefined);
    return p;
  }

  /**
   * After a pass that finished: prunes with the pair's rule if one is set and a prune is due (the first pass,
   * a pass that made versions, or PRUNE_EVERY_MS since the last). A failure is logged, not thrown: the next
   * pass tries again.
   */
  async afterPass(versioned: number): Promise<void> {
    const now = Date.now();
    if (!hasRetention(this.rule) || (versioned === 0 && now < this.nextDue)) return;
    this.nextDue = now + PRUNE_EVERY_MS;
    try {
      await this.run(false);
    } catch (e) {
      this.host.log.warn(`versions not pruned: ${messageOf(e)}`);
    }
  }
}
