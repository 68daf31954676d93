// The config file listing the daemon's pairs (TOML): reading and validating it with errors that name the
// key and the file, and adding or removing one pair without disturbing the rest (atomic rewrite).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { pairConfigFromStored, type PairConfig } from './config.js';
import { hasCode, LazysyncError, messageOf } from './errors.js';
import type { LogLevel } from './log.js';
import { PAIR_OPTIONS, SAVED_OPTIONS, storedSchema, type PairOptions } from './pair-options.js';
import { describeZodError } from './schema-messages.js';

export interface NamedPair {
  name: string;
  cfg: PairConfig;
}

export interface ConfigFile {
  logLevel?: LogLevel;
  pairs: NamedPair[];
}

// ---- schemas: shapes and value ranges, with messages that read after "KEY: " ----

/** A pair name: used in URLs (`/v1/pairs/NAME`) and on command lines. */
export const pairName = z
  .string()
  .refine((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !/[\p{Cc}]/u.test(s), {
    error: "must be a non-empty name without '/' or control characters",
  })
  .refine((s) => s.length <= 200, { error: 'must be at most 200 characters long' });

/** `options` of `POST /v1/pairs`: the saved options, keyed as in PairConfig. */
export const pairOptionsSchema = z.strictObject(
  Object.fromEntries(SAVED_OPTIONS.map(([key, o]) => [key, storedSchema(o, z).optional()])),
) as unknown as z.ZodType<PairOptions>;

const folder = z.string().refine((s) => s === '~' || s.startsWith('~/') || path.isAbsolute(s), {
  error: 'must be an absolute path (or start with ~/)',
});

const filePairSchema = z.strictObject({
  name: pairName.optional(),
  remote: folder,
  local: folder,
  ...Object.fromEntries(SAVED_OPTIONS.map(([, o]) => [o.file, storedSchema(o, z).optional()])),
});

const fileSchema = z.strictObject({
  log_level: storedSchema(PAIR_OPTIONS.logLevel, z).optional(),
  pair: z.array(filePairSchema).optional(),
});

type FilePair = { name?: string; remote: string; local: string } & Record<string, unknown>;
type FileDoc = { log_level?: LogLevel; pair?: FilePair[] };

// ---- reading ----

/** `$XDG_CONFIG_HOME/lazysync/config.toml`, else `~/.config/lazysync/config.toml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), '.config');
  return path.join(base, 'lazysync', 'config.toml');
}

function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** The file's text, or '' if it does not exist. */
function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return '';
    throw new LazysyncError('usage', `config ${file}: cannot read it: ${messageOf(e)}`, { cause: e });
  }
}

/** Parses and checks the shape of the file (no filesystem checks of the pairs' folders). */
function parseDoc(file: string, text: string): FileDoc {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = (e.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    throw new LazysyncError('usage', `config ${file}: line ${e.line}, column ${e.column}: ${what}`, {
      cause: e,
    });
  }
  const r = fileSchema.safeParse(data);
  if (!r.success) throw new LazysyncError('usage', `config ${file}: ${describeZodError(r.error, data)}`);
  return r.data as FileDoc;
}

function optionsOf(p: FilePair): PairOptions {
  const out: Record<string, unknown> = {};
  for (const [key, o] of SAVED_OPTIONS) if (p[o.file] !== undefined) out[key] = p[o.file];
  return out as PairOptions;
}

/**
 * A pair's configuration from API or file values, checked as the command line's are. The name defaults to
 * the local folder's basename.
 */
export function namedPairFrom(
  name: string | undefined,
  remote: string,
  local: string,
  options: PairOptions,
  logLevel?: LogLevel,
): NamedPair {
  const checked = pairOptionsSchema.safeParse(options);
  if (!checked.success) {
    throw new LazysyncError(
      'usage',
      describeZodError(checked.error, options, { lang: 'json', root: 'options' }),
    );
  }
  const cfg = pairConfigFromStored({
    ...checked.data,
    remote: expandHome(remote),
    local: expandHome(local),
    ...(logLevel !== undefined ? { logLevel } : {}),
  });
  return { name: name ?? path.basename(cfg.local), cfg };
}

/** Why `candidate` cannot join `pairs` (same name, same local folder, or one local folder inside another), or undefined. */
export function pairClash(pairs: readonly NamedPair[], candidate: NamedPair): string | undefined {
  for (const p of pairs) {
    if (p.name === candidate.name) {
      return `a pair named '${p.name}' already exists (give this one another name)`;
    }
    const a = candidate.cfg.local;
    const b = p.cfg.local;
    if (a === b) return `the local folder ${a} already belongs to pair '${p.name}'`;
    if (a.startsWith(`${b}/`) || b === '/')
      return `the local folder ${a} is inside the local folder ${b} of pair '${p.name}'`;
    if (b.startsWith(`${a}/`) || a === '/')
      return `the local folder ${b} of pair '${p.name}' is inside the local folder ${a}`;
  }
  return undefined;
}

/** The pairs of the config file at `file` (a missing file has none). Throws LazysyncError('usage') naming file and key. */
export function loadConfigFile(file: string): ConfigFile {
  const doc = parseDoc(file, readText(file));
  const pairs: NamedPair[] = [];
  (doc.pair ?? []).forEach((p, i) => {
    let np: NamedPair;
    try {
      np = namedPairFrom(p.name, p.remote, p.local, optionsOf(p), doc.log_level);
    } catch (e) {
      if (!(e instanceof LazysyncError)) throw e;
      throw new LazysyncError('usage', `config ${file}: pair[${i}]: ${e.message}`, { cause: e });
    }
    const clash = pairClash(pairs, np);
    if (clash !== undefined) throw new LazysyncError('usage', `config ${file}: pair[${i}]: ${clash}`);
    pairs.push(np);
  });
  return doc.log_level !== undefined ? { logLevel: doc.log_level, pairs } : { pairs };
}

// ---- editing ----

export interface PairEntry {
  name: string;
  remote: string;
  local: string;
  options: PairOptions;
}

function effectiveName(p: FilePair): string {
  return p.name ?? path.basename(path.resolve(expandHome(p.local)));
}

function fileEntry(pair: PairEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { name: pair.name, remote: pair.remote, local: pair.local };
  for (const [key, o] of SAVED_OPTIONS) if (pair.options[key] !== undefined) out[o.file] = pair.options[key];
  return out;
}

/** Appends a pair to the config file (created with its folders if missing); other pairs, comments included, stay. */
export function addPairToFile(file: string, pair: PairEntry): void {
  const text = readText(file);
  const doc = parseDoc(file, text);
  const local = path.resolve(expandHome(pair.local));
  for (const [i, p] of (doc.pair ?? []).entries()) {
    if (effectiveName(p) === pair.name) {
      throw new LazysyncError('usage', `config ${file}: pair[${i}] is already named '${pair.name}'`);
    }
    if (path.resolve(expandHome(p.local)) === local) {
      throw new LazysyncError('usage', `config ${file}: pair[${i}] already has the local folder ${local}`);
    }
  }
  const entry = fileEntry(pair);
  const expected = { ...doc, pair: [...(doc.pair ?? []), entry] };
  const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  const edited = `${text}${sep}[[pair]]\n${stringifyToml(entry)}`;
  writeFileAtomic(file, sameDoc(edited, expected) ? edited : stringifyToml(expected));
}

/** Removes the pair named `name` from the config file (false if it has none); other pairs and comments stay. */
export function removePairFromFile(file: string, name: string): boolean {
  const text = readText(file);
  const doc = parseDoc(file, text);
  const pairs = doc.pair ?? [];
  const index = pairs.findIndex((p) => effectiveName(p) === name);
  if (index < 0) return false;
  const expected: FileDoc = { ...doc, pair: pairs.filter((_, i) => i !== index) };
  if (expected.pair?.length === 0) delete expected.pair;
  const edited = cutPairBlock(text, index);
  writeFileAtomic(file, edited !== undefined && sameDoc(edited, expected) ? edited : stringifyToml(expected));
  return true;
}

function sameDoc(text: string, expected: unknown): boolean {
  try {
    return isDeepStrictEqual(
      JSON.parse(JSON.stringify(parseToml(text))),
      JSON.parse(JSON.stringify(expected)),
    );
  } catch {
    return false;
  }
}

/**
 * The text without the `index`-th `[[pair]]` block (from its header, with the comment lines right above
 * it, to the next table header and its comments). A heuristic on lines: callers check the result parses
 * to what they expect and otherwise rewrite the whole document.
 */
function cutPairBlock(text: string, index: number): string | undefined {
  const lines = text.split('\n');
  const isHeader = (l: string): boolean => /^\s*\[/.test(l);
  const isPairHeader = (l: string): boolean => /^\s*\[\[\s*pair\s*\]\]\s*(#.*)?$/.test(l);
  const withComments = (h: number): number => {
    let s = h;
    while (s > 0 && /^\s*#/.test(lines[s - 1] ?? '')) s--;
    return s;
  };
  const headers = lines.flatMap((l, i) => (isPairHeader(l) ? [i] : []));
  const h = headers[index];
  if (h === undefined) return undefined;
  let end = lines.length;
  for (let i = h + 1; i < lines.length; i++) {
    if (isHeader(lines[i] ?? '')) {
      end = withComments(i);
      break;
    }
  }
  const kept = [...lines.slice(0, withComments(h)), ...lines.slice(end)];
  return kept.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** Writes `text` to `file` through a temp file in the same folder and a rename; no temp is left behind. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const temp = path.join(
    dir,
    `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  try {
    fs.mkdirSync(dir, { recursive: true });
    const mode = fs.statSync(file, { throwIfNoEntry: false })?.mode ?? 0o644;
    const fd = fs.openSync(temp, 'wx', mode & 0o777);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (e) {
    throw new LazysyncError('io', `config ${file}: cannot write it: ${messageOf(e)}`, { cause: e });
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
