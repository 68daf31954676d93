// Absolute local paths from requests -> (pair, path relative to its local root), the runner's form.
import fs from 'node:fs';
import path from 'node:path';
import { binaryFromText, display, STATE_DIR, isWithin, relativeInside } from '../core/paths.js';
import { HttpError } from './http.js';

export interface PairRoot {
  name: string;
  /** The pair's local root as configured (absolute). */
  local: string;
}

export interface Located {
  pair: string;
  /** Relative to the pair's local root, '' for the root itself, as a binary string (one char per byte). */
  rel: string;
  /** The relative path for answers (display form). */
  shown: string;
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The pair whose local folder holds `input` (the longest matching root wins) and the path relative to it.
 * The input is normalized lexically (`path.resolve`), so `..` cannot climb out of the root it names; it
 * is never resolved through symlinks, since its last parts may be placeholders or user symlinks. A root
 * matches as configured or as its real path, so a path under a symlinked alias of the root is found too.
 * Throws bad-request for a relative path or one inside lazysync's own `.lazysync/`, not-found for a
 * path in no pair.
 */
export function locatePath(input: string, roots: readonly PairRoot[]): Located {
  if (input.includes('\0')) throw new HttpError('bad-request', 'a path must not contain NUL bytes');
  if (!path.isAbsolute(input)) {
    throw new HttpError('bad-request', `${JSON.stringify(input)} is not an absolute path`);
  }
  const abs = path.resolve(input);
  let best: { pair: string; rel: string; rootLength: number } | undefined;
  for (const r of roots) {
    for (const root of new Set([path.resolve(r.local), realOrSelf(r.local)])) {
      const rel = relativeInside(abs, root);
      if (rel !== undefined && (best === undefined || root.length > best.rootLength)) {
        best = { pair: r.name, rel, rootLength: root.length };
      }
    }
  }
  if (best === undefined) throw new HttpError('not-found', `${abs} is not inside any pair's local folder`);
  if (isWithin(best.rel, STATE_DIR)) {
    throw new HttpError('bad-request', `${abs} is inside lazysync's own state folder`);
  }
  const rel = binaryFromText(best.rel);
  return { pair: best.pair, rel, shown: display(rel) };
}

/** Paths grouped by pair, in the order pairs first appear; every path is located before anything is done. */
export function groupByPair(inputs: readonly string[], roots: readonly PairRoot[]): Map<string, Located[]> {
  const groups = new Map<string, Located[]>();
  for (const input of inputs) {
    const loc = locatePath(input, roots);
    const list = groups.get(loc.pair);
    if (list === undefined) groups.set(loc.pair, [loc]);
    else list.push(loc);
  }
  return groups;
}
