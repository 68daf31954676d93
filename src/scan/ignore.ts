// Ignore rules (gitignore syntax) from --ignore patterns and L/.lazysyncignore, matched on path bytes.
import fsp from 'node:fs/promises';
import ignore, { type Ignore } from 'ignore';
import { binaryFromText, display } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { absOf } from '../fsops/entry.js';
import { codeOf, isAbsent } from '../fsops/fserr.js';

export const IGNORE_FILE = '.lazysyncignore';

/** Matches per matcher instance before its result cache is dropped: `ignore` caches every path it sees. */
const CACHE_LIMIT = 4096;

/**
 * A predicate for ScanOptions.ignore. Rules and paths are both matched as binary strings (one char per
 * byte), so `?` and `*` work on bytes as in git's own wildmatch, and names that are not UTF-8 match
 * like any other. CLI patterns are UTF-8 text and are converted to bytes; the file is read as bytes.
 * Matching is case-sensitive (git on Linux). The file is read through a symlink if it is one (for
 * instance a placeholder of the remote's `.lazysyncignore`); an absent file means no rules from it.
 * Throws LazysyncError('io') if the file exists but cannot be read.
 */
export async function loadIgnore(
  localRoot: string,
  patterns: string[],
): Promise<(rel: RelPath, isDir: boolean) => boolean> {
  const rules: string[] = patterns.map(binaryFromText);
  try {
    const text = await fsp.readFile(absOf(localRoot, IGNORE_FILE));
    rules.push(...text.toString('latin1').split(/\r?\n/));
  } catch (e) {
    if (!isAbsent(e)) {
      throw new LazysyncError('io', `${display(localRoot)}/${IGNORE_FILE}: cannot read (${codeOf(e)})`, {
        cause: e,
      });
    }
  }
  return matcherOf(rules);
}

/** A predicate over binary rules (one gitignore line each). Exported for tests. */
export function matcherOf(rules: string[]): (rel: RelPath, isDir: boolean) => boolean {
  // Without a rule, the matcher would still be asked about every path of every scan.
  if (!rules.some((r) => r.trim() !== '' && !r.startsWith('#'))) return () => false;
  const template = ignore({ ignorecase: false }).add(rules);
  const fresh = (): Ignore => ignore({ ignorecase: false }).add(template); // same compiled rules, empty cache
  let current = fresh();
  let uses = 0;
  return (rel, isDir) => {
    if (rel === '') return false;
    if (++uses > CACHE_LIMIT) {
      current = fresh();
      uses = 1;
    }
    return current.ignores(isDir ? `${rel}/` : rel);
  };
}
