// One line for the first problem a zod schema found in the config file or in a request to the control API,
// naming its key and saying what was expected and what was there.
import type { z } from 'zod';

/** Words for the two places values come from: the TOML file and JSON requests. */
const WORDS = {
  toml: { array: 'a list', object: 'a table' },
  json: { array: 'an array', object: 'an object' },
};

function describeValue(v: unknown, words: (typeof WORDS)['toml']): string {
  if (Array.isArray(v)) return words.array;
  if (v === null) return 'null';
  if (typeof v === 'object') return words.object;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

function expectedWord(expected: string, words: (typeof WORDS)['toml']): string {
  if (expected === 'array' || expected === 'object') return words[expected];
  if (expected === 'boolean') return 'true or false';
  return `a ${expected}`;
}

function keyPath(root: string, p: readonly PropertyKey[]): string {
  const parts = p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  return root === '' ? parts.replace(/^\./, '') : `${root}${parts}`;
}

function valueAt(data: unknown, p: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of p)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * One line for the first problem zod found, naming its key: `pair[1].interval: expected a number, not
 * the string "30"`. `data` is the input (to describe wrong values); `lang` picks TOML or JSON words;
 * `root` names the whole input (`body` gives `body.paths[2]: ...`).
 */
export function describeZodError(
  error: z.ZodError,
  data: unknown,
  opts: { lang?: 'toml' | 'json'; root?: string } = {},
): string {
  const words = WORDS[opts.lang ?? 'toml'];
  const root = opts.root ?? '';
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  let text: string;
  let at = issue.path;
  if (issue.code === 'unrecognized_keys') {
    at = [...issue.path, issue.keys[0] ?? ''];
    text = 'unknown key';
  } else if (issue.code === 'invalid_type') {
    const v = valueAt(data, issue.path);
    text =
      v === undefined
        ? 'is required'
        : `expected ${expectedWord(issue.expected, words)}, not ${describeValue(v, words)}`;
  } else if (issue.code === 'invalid_value') {
    text = `expected one of ${issue.values.map((x) => String(x)).join(', ')}`;
  } else {
    text = issue.message;
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  const where = keyPath(root, at);
  return where === '' ? `${text}${more}` : `${where}: ${text}${more}`;
}
