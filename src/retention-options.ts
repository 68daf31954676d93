// A pair's retention options (the versions_* keys of src/pair-options.ts's table) as the rule pruning
// applies, and as `prune` takes them for a one-off rule over the control API.
import type { z } from 'zod';
import type { PairConfig } from './config.js';
import type { RetentionRule } from './core/retention.js';
import { PAIR_OPTIONS, storedSchema } from './pair-options.js';

/** The options that make up a retention rule (--versions-skip-above is not one: it applies when keeping). */
export const RETENTION_KEYS = [
  'versionsMaxAge',
  'versionsMaxCount',
  'versionsMaxTotal',
  'versionsStaggered',
] as const;

export type RetentionOptions = Partial<Pick<PairConfig, (typeof RETENTION_KEYS)[number]>>;

/** A rule from the options; an option not set does not limit. */
export function retentionOf(cfg: RetentionOptions): RetentionRule {
  return {
    ...(cfg.versionsMaxAge !== undefined && { maxAgeMs: cfg.versionsMaxAge }),
    ...(cfg.versionsMaxCount !== undefined && { maxCount: cfg.versionsMaxCount }),
    ...(cfg.versionsStaggered === true && { staggered: true }),
    ...(cfg.versionsMaxTotal !== undefined && { maxTotal: cfg.versionsMaxTotal }),
  };
}

/** The schema of a one-off rule's stored form: each retention option, optional. */
export function retentionSchema(zod: typeof z) {
  return {
    versionsMaxAge: storedSchema(PAIR_OPTIONS.versionsMaxAge, zod).optional(),
    versionsMaxCount: storedSchema(PAIR_OPTIONS.versionsMaxCount, zod).optional(),
    versionsMaxTotal: storedSchema(PAIR_OPTIONS.versionsMaxTotal, zod).optional(),
    versionsStaggered: storedSchema(PAIR_OPTIONS.versionsStaggered, zod).optional(),
  };
}

/** The rule of a stored form the schema accepted. */
export function retentionFromStored(stored: {
  versionsMaxAge?: unknown;
  versionsMaxCount?: unknown;
  versionsMaxTotal?: unknown;
  versionsStaggered?: unknown;
}): RetentionRule {
  const cfg: Record<string, unknown> = {};
  for (const key of RETENTION_KEYS) {
    const value = stored[key];
    if (value === undefined) continue;
    const type = PAIR_OPTIONS[key].type as { fromStored(v: unknown): unknown };
    cfg[key] = type.fromStored(value);
  }
  return retentionOf(cfg as RetentionOptions);
}
