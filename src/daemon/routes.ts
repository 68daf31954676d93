// The control API's endpoints (docs/api.md), each one thin: validate -> call the daemon or a runner -> answer.
import { parseSize } from '../core/size.js';
import path from 'node:path';
import { z } from 'zod';
import { pairName, pairOptionsSchema } from '../config-file.js';
import type { PairOptions } from '../pair-options.js';
import type { PairEvent, PairRunnerApi, PairStatus } from '../engine/runner-api.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { retentionFromStored, retentionSchema } from '../retention-options.js';
import { HttpError, toHttpError, validate } from './http.js';
import { groupByPair, locatePath, type PairRoot } from './locate.js';

export interface AddPairRequest {
  name?: string;
  remote: string;
  local: string;
  options?: PairOptions;
}

/** What the control API steers: the daemon, or a stand-in in tests. */
export interface ControlTarget {
  readonly version: string;
  readonly pid: number;
  runners(): readonly PairRunnerApi[];
  runner(name: string): PairRunnerApi | undefined;
  /** Every pair's local root, to find the pair of a path. */
  roots(): PairRoot[];
  /** Starts the pair and saves it; HttpError conflict if its name or folder is taken. */
  add(req: AddPairRequest): Promise<PairStatus>;
  remove(name: string): Promise<void>;
  /** Throws HttpError not-found for an unknown pair. */
  setLogLevel(level: LogLevel, pair?: string): void;
  /** Bytes per second (undefined: unlimited) for one pair or all; HttpError not-found for an unknown pair. */
  setBwlimit(rate: number | undefined, pair?: string): void;
  shutdown(): Promise<void>;
  /** Events of every pair, present and future; returns the unsubscribe function. */
  subscribe(listener: (e: PairEvent) => void): () => void;
}

export interface RouteContext {
  target: ControlTarget;
  /** The URL's captured parts (pair names, decoded). */
  params: string[];
  query: URLSearchParams;
  body(): Promise<unknown>;
}

export interface Answer {
  status?: number;
  body: unknown;
  /** Runs once the answer is sent. */
  after?: () => void;
}

export type Handler = (ctx: RouteContext) => Promise<Answer>;

export interface Route {
  pattern: RegExp;
  methods: Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', Handler>>;
}

const absolute = z.string().refine((s) => path.isAbsolute(s), { error: 'must be an absolute path' });
const noBody = z.strictObject({}).optional();
const pathList = z.strictObject({
  paths: z.array(z.string()).refine((a) => a.length > 0, { error: 'must list at least one path' }),
});
const schemas = {
  add: z.strictObject({
    name: pairName.optional(),
    remote: absolute,
    local: absolute,
    options: pairOptionsSchema.optional(),
  }),
  resume: z.strictObject({ confirmDeletes: z.boolean().optional() }).optional(),
  logLevel: z.strictObject({ level: z.enum(LOG_LEVELS), pair: z.string().optional() }),
  bwlimit: z.strictObject({
    rate: z.union([
      z.null(),
      z.number().int().min(0),
      z.string().refine((s) => parseSize(s) !== undefined, { error: 'expected a rate like 4M, 512K or 0' }),
    ]),
    pair: z.string().optional(),
  }),
  restore: z.strictObject({
    path: z.string(),
    at: z
      .string()
      .refine((s) => /^\d{8}-\d{6}(-\d+)?$/.test(s), {
        error: 'expected a version like 20261128-101500 or 20261128-101500-1',
      })
      .optional(),
  }),
  prune: z
    .strictObject({
      pair: z.string().optional(),
      dryRun: z.boolean().optional(),
      rule: z.strictObject(retentionSchema(z)).optional(),
    })
    .optional(),
};

function runnerOf(target: ControlTarget, name: string): PairRunnerApi {
  const r = target.runner(name);
  if (r === undefined) {
    const known = target.runners().map((x) => x.name);
    const hint = known.length === 0 ? 'there are no pairs' : `pairs: ${known.join(', ')}`;
    throw new HttpError('not-found', `no pair named '${name}' (${hint})`);
  }
  return r;
}

function param(ctx: RouteContext, i: number): string {
  return ctx.params[i] ?? '';
}

function queryParam(ctx: RouteContext, key: string): string {
  const v = ctx.query.get(key);
  if (v === null || v === '') throw new HttpError('bad-request', `query.${key}: is required`);
  return v;
}

/** Runs `op` on each pair's share of `paths` (all located first) and tags each result with its pair. */
async function perPair<R extends object>(
  ctx: RouteContext,
  paths: string[],
  op: (runner: PairRunnerApi, rels: string[]) => Promise<R[]>,
): Promise<(R & { pair: string })[]> {
  const groups = groupByPair(paths, ctx.target.roots());
  const out: (R & { pair: string })[] = [];
  for (const [pair, locs] of groups) {
    const results = await op(
      runnerOf(ctx.target, pair),
      locs.map((l) => l.rel),
    );
    for (const r of results) out.push({ pair, ...r });
  }
  return out;
}

const status: Handler = async ({ target }) => ({
  body: { version: target.version, pid: target.pid, pairs: target.runners().map((r) => r.status()) },
});

const getPair: Handler = async (ctx) => ({ body: runnerOf(ctx.target, param(ctx, 0)).status() });

const addPair: Handler = async (ctx) => {
  const req = validate(schemas.add, await ctx.body(), 'body');
  return { status: 201, body: await ctx.target.add(req) };
};

const removePair: Handler = async (ctx) => {
  const name = param(ctx, 0);
  runnerOf(ctx.target, name);
  await ctx.target.remove(name);
  return { body: { removed: name } };
};

const pause: Handler = async (ctx) => {
  validate(noBody, await ctx.body(), 'body');
  const r = runnerOf(ctx.target, param(ctx, 0));
  r.pause();
  return { body: r.status() };
};

const resume: Handler = async (ctx) => {
  const req = validate(schemas.resume, await ctx.body(), 'body');
  const r = runnerOf(ctx.target, param(ctx, 0));
  r.resume(req?.confirmDeletes === true);
  return { body: r.status() };
};

const rescan: Handler = async (ctx) => {
  validate(noBody, await ctx.body(), 'body');
  runnerOf(ctx.target, param(ctx, 0)).rescan();
  return { body: { started: true } };
};

const logLevel: Handler = async (ctx) => {
  const req = validate(schemas.logLevel, await ctx.body(), 'body');
  if (req.pair !== undefined) runnerOf(ctx.target, req.pair);
  ctx.target.setLogLevel(req.level, req.pair);
  return { body: { level: req.level } };
};

const bwlimit: Handler = async (ctx) => {
  const req = validate(schemas.bwlimit, await ctx.body(), 'body');
  if (req.pair !== undefined) runnerOf(ctx.target, req.pair);
  const bytes = typeof req.rate === 'string' ? parseSize(req.rate) : req.rate;
  const rate = bytes === null || bytes === undefined || bytes === 0 ? undefined : bytes;
  ctx.target.setBwlimit(rate, req.pair);
  return { body: { rate: rate ?? null } };
};

const pin: Handler = async (ctx) => {
  const req = validate(pathList, await ctx.body(), 'body');
  return { body: { pinned: await perPair(ctx, req.paths, (r, rels) => r.pin(rels)) } };
};

const unpin: Handler = async (ctx) => {
  const req = validate(pathList, await ctx.body(), 'body');
  return { body: { unpinned: await perPair(ctx, req.paths, (r, rels) => r.unpin(rels)) } };
};

const free: Handler = async (ctx) => {
  const req = validate(pathList, await ctx.body(), 'body');
  const results = await perPair(ctx, req.paths, async (r, rels) => [await r.free(rels)]);
  const freed = results.flatMap(({ pair, freed }) => freed.map((f) => ({ pair, ...f })));
  const refused = results.flatMap(({ pair, refused }) => refused.map((f) => ({ pair, ...f })));
  if (freed.length === 0 && refused.length > 0) {
    const why = refused.map((f) => `${f.path}: ${f.reason}`).join('; ');
    throw new HttpError('conflict', `nothing was freed: ${why}`, { extra: { freed, refused } });
  }
  return { body: { freed, refused } };
};

const versions: Handler = async (ctx) => {
  const loc = locatePath(queryParam(ctx, 'path'), ctx.target.roots());
  const list = await runnerOf(ctx.target, loc.pair).versions(loc.rel);
  return { body: { pair: loc.pair, path: loc.shown, versions: list } };
};

const restore: Handler = async (ctx) => {
  const req = validate(schemas.restore, await ctx.body(), 'body');
  const loc = locatePath(req.path, ctx.target.roots());
  const result = await runnerOf(ctx.target, loc.pair).restore(loc.rel, req.at);
  return {
    body: { pair: loc.pair, path: loc.shown, ...('folder' in result ? result : { restored: result }) },
  };
};

const deleted: Handler = async (ctx) => {
  const p = ctx.query.get('path');
  const targets =
    p === null
      ? ctx.target.runners().map((r) => ({ pair: r.name, rel: '' }))
      : [locatePath(p, ctx.target.roots())];
  const out: unknown[] = [];
  for (const t of targets) {
    for (const d of await runnerOf(ctx.target, t.pair).deleted(t.rel)) out.push({ pair: t.pair, ...d });
  }
  return { body: { deleted: out } };
};

/** Each pair's prune (every pair's, or the one named); a pair that fails says why beside the others. */
const prune: Handler = async (ctx) => {
  const req = validate(schemas.prune, await ctx.body(), 'body') ?? {};
  const runners = req.pair === undefined ? ctx.target.runners() : [runnerOf(ctx.target, req.pair)];
  const rule = req.rule === undefined ? undefined : retentionFromStored(req.rule);
  const out: unknown[] = [];
  for (const r of runners) {
    try {
      out.push({ pair: r.name, ...(await r.prune(req.dryRun === true, rule)) });
    } catch (e) {
      out.push({ pair: r.name, error: toHttpError(e).message });
    }
  }
  return { body: { pruned: out } };
};

const conflicts: Handler = async (ctx) => {
  const only = ctx.query.get('pair');
  const runners = only === null ? ctx.target.runners() : [runnerOf(ctx.target, only)];
  const out: unknown[] = [];
  for (const r of runners) for (const c of await r.conflicts()) out.push({ pair: r.name, ...c });
  return { body: { conflicts: out } };
};

const shutdown: Handler = async (ctx) => {
  validate(noBody, await ctx.body(), 'body');
  return { body: { stopping: true }, after: () => void ctx.target.shutdown() };
};

/** Every endpoint but `GET /v1/events`, which the server streams itself. */
export const ROUTES: Route[] = [
  { pattern: /^\/v1\/status$/, methods: { GET: status } },
  { pattern: /^\/v1\/pairs$/, methods: { POST: addPair } },
  { pattern: /^\/v1\/pairs\/([^/]+)$/, methods: { GET: getPair, DELETE: removePair } },
  { pattern: /^\/v1\/pairs\/([^/]+)\/pause$/, methods: { POST: pause } },
  { pattern: /^\/v1\/pairs\/([^/]+)\/resume$/, methods: { POST: resume } },
  { pattern: /^\/v1\/pairs\/([^/]+)\/rescan$/, methods: { POST: rescan } },
  { pattern: /^\/v1\/log-level$/, methods: { PUT: logLevel } },
  { pattern: /^\/v1\/bwlimit$/, methods: { PUT: bwlimit } },
  { pattern: /^\/v1\/pin$/, methods: { POST: pin } },
  { pattern: /^\/v1\/unpin$/, methods: { POST: unpin } },
  { pattern: /^\/v1\/free$/, methods: { POST: free } },
  { pattern: /^\/v1\/versions$/, methods: { GET: versions } },
  { pattern: /^\/v1\/restore$/, methods: { POST: restore } },
  { pattern: /^\/v1\/deleted$/, methods: { GET: deleted } },
  { pattern: /^\/v1\/prune$/, methods: { POST: prune } },
  { pattern: /^\/v1\/conflicts$/, methods: { GET: conflicts } },
  { pattern: /^\/v1\/shutdown$/, methods: { POST: shutdown } },
];
