// The end of the run: wait until every pair is quiet, then check that both sides of each pair converged,
// that no temp file is left, and that every content the ledger requires still exists somewhere.
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConflictName } from '../../src/core/names.js';
import { apiRequest } from '../../test/fixture/daemon.js';
import type { RunContext } from './daemon.js';
import type { Content, Ledger } from './ledger.js';
import {
  DRIVER_TEMP,
  isPlaceholderTarget,
  listSide,
  realCopySha,
  sha,
  type Side,
  type SoakPair,
} from './sides.js';

/** Rescans until two passes in a row change nothing; confirms held deletes on the way. */
export async function quiesce(ctx: RunContext, sp: SoakPair): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let quiet = 0;
  let passes = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) {
      ctx.failures.push(
        `${sp.name}: no two quiet passes in a row within 10 minutes after the changes stopped`,
      );
      return;
    }
    ctx.daemon.assertRunning();
    const before = new Date().toISOString();
    await apiRequest(ctx.dir.socket, 'POST', `/v1/pairs/${sp.name}/rescan`, '{}');
    const st = await ctx.daemon.waitPair(
      sp.name,
      (p) => p.state === 'waiting-confirm' || (p.state === 'idle' && (p.lastPass?.finishedAt ?? '') > before),
      'a pass after the rescan',
      180_000,
    );
    passes++;
    if (st.state === 'waiting-confirm') {
      ctx.notes.push(`${sp.name}: waiting-confirm at the end (${st.reason}); confirmed`);
      await apiRequest(ctx.dir.socket, 'POST', `/v1/pairs/${sp.name}/resume`, '{"confirmDeletes":true}');
      quiet = 0;
      continue;
    }
    const lp = st.lastPass;
    quiet = lp !== null && lp.applied === 0 && lp.problems === 0 ? quiet + 1 : 0;
    if (passes > 30) {
      ctx.failures.push(`${sp.name}: still not quiet after 30 passes: ${JSON.stringify(lp)}`);
      return;
    }
  }
  ctx.notes.push(`${sp.name}: quiet after ${passes} final passes`);
}

/** One place that holds a content. */
export interface Found {
  pair: string;
  side: Side;
  where: 'tree' | 'versions' | 'placeholder';
  rel: string;
}

export interface LedgerResult {
  contents: number;
  live: number;
  liveOk: number;
  required: number;
  requiredOk: number;
  notRequired: number;
  displaced: string[];
  lost: string[];
}

export interface EndChecks {
  /** Where each content (by sha) is found now. */
  index: Map<string, Found[]>;
  /** Temp files left, as `pair side:path`. */
  tmp: string[];
  convergence: Record<string, { entries: number; diffs: string[] }>;
  ledger: LedgerResult;
}

/** Runs the checks of the quiet end and adds a failure for each one that fails. */
export async function checkEnd(ctx: RunContext, ledger: Ledger): Promise<EndChecks> {
  const index = new Map<string, Found[]>();
  const tmp: string[] = [];
  const convergence: Record<string, { entries: number; diffs: string[] }> = {};
  for (const sp of ctx.pairs) {
    tmp.push(...(await indexPair(sp, index)).tmp);
    convergence[sp.name] = await compareSides(sp);
    const d = convergence[sp.name]?.diffs ?? [];
    if (d.length)
      ctx.failures.push(`${sp.name} did not converge (${d.length}):\n  ${d.slice(0, 30).join('\n  ')}`);
  }
  if (tmp.length) ctx.failures.push(`temp files left:\n  ${tmp.join('\n  ')}`);
  const led = checkLedger(ledger, index);
  if (led.lost.length)
    ctx.failures.push(`${led.lost.length} contents lost:\n  ${led.lost.slice(0, 20).join('\n  ')}`);
  return { index, tmp, convergence, ledger: led };
}

/** Everything that holds content on both sides of a pair: the trees and the versions folders. */
async function indexPair(sp: SoakPair, index: Map<string, Found[]>): Promise<{ tmp: string[] }> {
  const tmp: string[] = [];
  const add = (h: string, f: Found) => {
    const l = index.get(h);
    if (l) l.push(f);
    else index.set(h, [f]);
  };
  const walkAll = async (side: Side, base: string, dir: string): Promise<void> => {
    for (const name of await readdir(join(base, dir))) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (name.startsWith('.lazysync-tmp-') || name.startsWith(DRIVER_TEMP))
        tmp.push(`${sp.name} ${side}:${rel}`);
      const abs = join(base, rel);
      const st = await lstat(abs);
      const inVersions = rel.startsWith('.lazysync/versions/');
      if (st.isDirectory()) await walkAll(side, base, rel);
      else if (st.isFile() && (inVersions || !rel.startsWith('.lazysync/'))) {
        add(sha(await readFile(abs)), {
          pair: sp.name,
          side,
          where: inVersions ? 'versions' : 'tree',
          rel: inVersions ? rel.slice('.lazysync/versions/'.length) : rel,
        });
      } else if (st.isSymbolicLink() && side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
        const h = await realCopySha(sp, 'R', rel);
        if (h !== undefined) add(h, { pair: sp.name, side, where: 'placeholder', rel });
      }
    }
  };
  await walkAll('L', sp.p.local, '');
  await walkAll('R', sp.p.server, '');
  return { tmp };
}

/** Both sides hold the same paths, kinds, bytes and link texts (a placeholder stands for its remote file). */
async function compareSides(sp: SoakPair): Promise<{ entries: number; diffs: string[] }> {
  const [l, r] = await Promise.all([listSide(sp, 'L', false), listSide(sp, 'R', false)]);
  const lm = new Map(l.map((e) => [e.rel, e.kind]));
  const rm_ = new Map(r.map((e) => [e.rel, e.kind]));
  const diffs: string[] = [];
  for (const rel of new Set([...lm.keys(), ...rm_.keys()])) {
    const lk = lm.get(rel);
    const rk = rm_.get(rel);
    if (lk === undefined || rk === undefined) {
      diffs.push(`${rel}: only on ${lk === undefined ? 'R' : 'L'} (${lk ?? rk})`);
      continue;
    }
    if (lk === 'placeholder' ? rk !== 'file' : lk !== rk) {
      diffs.push(`${rel}: L is ${lk}, R is ${rk}`);
      continue;
    }
    const la = join(sp.p.local, rel);
    const ra = join(sp.p.server, rel);
    if (lk === 'file' && !(await readFile(la)).equals(await readFile(ra)))
      diffs.push(`${rel}: contents differ`);
    if (lk === 'symlink' && (await readlink(la)) !== (await readlink(ra)))
      diffs.push(`${rel}: link texts differ`);
  }
  return { entries: lm.size, diffs };
}

/** A path with every conflict-copy decoration taken off its name. */
export function undecorated(rel: string): string {
  const slash = rel.lastIndexOf('/');
  let name = rel.slice(slash + 1);
  for (let c = parseConflictName(name); c !== undefined; c = parseConflictName(name)) name = c.original;
  return rel.slice(0, slash + 1) + name;
}

/**
 * Each content the driver never destroyed must be at one of its paths on both sides (a conflict copy of
 * that path counts); each it destroyed while the other side held a synced copy must exist somewhere.
 */
function checkLedger(ledger: Ledger, index: Map<string, Found[]>): LedgerResult {
  const res: LedgerResult = {
    contents: ledger.size,
    live: 0,
    liveOk: 0,
    required: 0,
    requiredOk: 0,
    notRequired: 0,
    displaced: [],
    lost: [],
  };
  const describe = (c: Content, found: Found[]) =>
    `${c.pair} ${c.sha.slice(0, 12)} paths ${[...c.paths].join(', ')}; found: ${
      found.map((f) => `${f.side} ${f.where} ${f.rel}`).join(', ') || 'nowhere'
    }\n      ${c.history.join('\n      ')}`;
  for (const c of ledger.values()) {
    const found = (index.get(c.sha) ?? []).filter((f) => f.pair === c.pair);
    if (c.destroyedOn.size === 0) {
      res.live++;
      const home = new Set([...c.paths].map(undecorated)); // a conflict copy of a conflict copy counts too
      const atPath = (side: Side) =>
        found.some((f) => f.side === side && f.where !== 'versions' && home.has(undecorated(f.rel)));
      if (atPath('L') && atPath('R')) res.liveOk++;
      else if (found.length > 0) res.displaced.push(describe(c, found));
      else res.lost.push(`never overwritten or deleted by the driver, now nowhere: ${describe(c, found)}`);
      continue;
    }
    const required = [...c.copyOn].some((s) => !c.destroyedOn.has(s));
    if (!required) {
      res.notRequired++;
      continue;
    }
    res.required++;
    if (found.length > 0) res.requiredOk++;
    else res.lost.push(`destroyed by the driver while a copy was synced, now nowhere: ${describe(c, found)}`);
  }
  return res;
}
