// The table of a pair's options: for each, its flag and argument on the command line, its key in the config
// file, how its values are read and checked, its default, its help, and whether it changes while the pair
// runs. The commands (`sync`, `run`, `add`), the config file, the control API and `status` all take their
// options from here.
import type { z } from 'zod';
import type { PairConfig } from './config.js';
import type { PairStatus } from './engine/runner-api.js';
import { LazysyncError } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import {
  duration,
  filePath,
  numberBetween,
  oneOf,
  size,
  text,
  wholeBetween,
  yesNo,
  type ValueType,
} from './option-types.js';

const ACCESS_DETECT = ['inotify', 'proc'] as const;
export type AccessDetect = (typeof ACCESS_DETECT)[number];
const PLACEHOLDER_KINDS = ['link', 'file'] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];

// ---- the table ----

interface Flag {
  /** `--max-size`. */
  flag: string;
  /** `-L`. */
  short?: string;
  help: string;
}

/** A flag that takes no argument: given or not. */
interface SwitchOption extends Flag {
  role: 'this-run';
}

interface ValueOption<T> extends Flag {
  /** `<size>`. */
  arg: string;
  type: ValueType<T, unknown>;
  default?: T;
  /** The flag may be given many times; the value is the list of its arguments (empty by default). */
  repeatable?: true;
  /** Not for `sync`: only a pair that keeps running uses it. */
  loopOnly?: true;
  /** 0 stands for no value (no limit). */
  noneAtZero?: true;
  /** commander lists the choices in `--help` and refuses others itself. */
  listChoices?: true;
}

/**
 * - `folder`: one of the pair's two folders; required. The config file and the API hold it as the pair's
 *   own key, beside its name.
 * - `saved`: saved with the pair: a key of the config file (`file`), an option of the API (`POST
 *   /v1/pairs`), a flag of `add`. `runtime`: the control API changes it while the pair runs.
 * - `this-run`: only for the run at hand (`sync`, `run`); not saved.
 */
type Role = { role: 'folder' | 'this-run' } | { role: 'saved'; file: string; runtime?: true };

/** What the table's entry for a PairConfig field of type V must be. */
type OptionFor<V> =
  NonNullable<V> extends readonly (infer E)[]
    ? ValueOption<E> & { repeatable: true } & Role
    : (ValueOption<NonNullable<V>> & Role) | (NonNullable<V> extends boolean ? SwitchOption : never);

export type OptionKey = keyof PairConfig;

/** Every option of a pair, in the order `--help` lists them. */
export const PAIR_OPTIONS = {
  remote: {
    flag: '--remote',
    short: '-r',
    arg: '<folder>',
    type: filePath,
    role: 'folder',
    help: 'the mounted remote folder',
  },
  local: {
    flag: '--local',
    short: '-l',
    arg: '<folder>',
    type: filePath,
    role: 'folder',
    help: 'the local folder (created if its parent exists)',
  },
  lazy: {
    flag: '--lazy',
    short: '-L',
    arg: '<y|n>',
    type: yesNo,
    default: true,
    role: 'saved',
    file: 'lazy',
    help: 'y: remote files appear as placeholders until opened; n: download everything',
  },
  ignore: {
    flag: '--ignore',
    arg: '<pattern>',
    type: text,
    repeatable: true,
    role: 'saved',
    file: 'ignore',
    help: 'gitignore-style pattern to leave alone (repeatable)',
  },
  maxDelete: {
    flag: '--max-delete',
    arg: '<percent>',
    type: numberBetween(0, 100),
    default: 50,
    role: 'saved',
    file: 'max_delete',
    help: 'stop and ask before a pass deletes more than this share of one side',
  },
  confirmDeletes: {
    flag: '--confirm-deletes',
    role: 'this-run',
    help: 'apply a pass even if it deletes more than --max-delete allows',
  },
  dryRun: {
    flag: '--dry-run',
    role: 'this-run',
    help: 'print the plan, one line per action, and change nothing',
  },
  logLevel: {
    flag: '--log-level',
    arg: '<level>',
    type: oneOf(LOG_LEVELS),
    default: 'info',
    listChoices: true,
    role: 'this-run',
    help: 'log detail',
  },
  logFile: {
    flag: '--log-file',
    arg: '<file>',
    type: filePath,
    role: 'this-run',
    help: 'also write JSON logs to this file',
  },
  pin: {
    flag: '--pin',
    arg: '<pattern>',
    type: text,
    repeatable: true,
    role: 'saved',
    file: 'pin',
    help: 'gitignore-style pattern of paths always kept local (repeatable)',
  },
  maxSize: {
    flag: '--max-size',
    arg: '<size>',
    type: size,
    role: 'saved',
    file: 'max_size',
    help: 'files larger than this stay placeholders unless pinned (e.g. 100M)',
  },
  cacheMax: {
    flag: '--cache-max',
    arg: '<size>',
    type: size,
    role: 'saved',
    file: 'cache_max',
    help: 'turn the least recently opened clean local copies back into placeholders beyond this total',
  },
  placeholders: {
    flag: '--placeholders',
    arg: '<kind>',
    type: oneOf(PLACEHOLDER_KINDS),
    default: 'link',
    listChoices: true,
    role: 'saved',
    file: 'placeholders',
    help: 'link: a symlink into the mount; file: a regular file fetched on first access (root, Linux 6.14+ on ext4/xfs/btrfs)',
  },
  noFetchBy: {
    flag: '--no-fetch-by',
    arg: '<program>',
    type: text,
    repeatable: true,
    role: 'saved',
    file: 'no_fetch_by',
    help: "a program (name or path) refused when it opens a file placeholder (repeatable; default: desktop indexers and thumbnailers; 'none': no program)",
  },
  accessDetect: {
    flag: '--access-detect',
    arg: '<mode>',
    type: oneOf(ACCESS_DETECT),
    default: 'inotify',
    role: 'saved',
    file: 'access_detect',
    help: 'how opens of placeholders are detected: inotify or proc',
  },
  bwlimit: {
    flag: '--bwlimit',
    arg: '<rate>',
    type: size,
    noneAtZero: true,
    role: 'saved',
    file: 'bwlimit',
    runtime: true,
    help: 'bytes per second for all transfers of the pair, e.g. 4M (0: no limit)',
  },
  versionsMaxAge: {
    flag: '--versions-max-age',
    arg: '<time>',
    type: duration,
    role: 'saved',
    file: 'versions_max_age',
    help: 'prune versions older than this, e.g. 30d (m, h, d, w; default: keep them all)',
  },
  versionsMaxCount: {
    flag: '--versions-max-count',
    arg: '<n>',
    type: wholeBetween(1, 1_000_000),
    role: 'saved',
    file: 'versions_max_count',
    help: 'keep at most this many versions of each file on each side, the newest',
  },
  versionsMaxTotal: {
    flag: '--versions-max-total',
    arg: '<size>',
    type: size,
    role: 'saved',
    file: 'versions_max_total',
    help: "keep at most this much of the pair's versions on each side, the newest, e.g. 20G",
  },
  versionsStaggered: {
    flag: '--versions-staggered',
    arg: '<y|n>',
    type: yesNo,
    default: false,
    role: 'saved',
    file: 'versions_staggered',
    help: 'y: thin versions with age (all of the last hour, one per hour for a day, one per day for 30 days, one per week)',
  },
  versionsSkipAbove: {
    flag: '--versions-skip-above',
    arg: '<size>',
    type: size,
    role: 'saved',
    file: 'versions_skip_above',
    help: 'overwrite or delete files larger than this without keeping a version (default: always keep)',
  },
  interval: {
    flag: '--interval',
    arg: '<seconds>',
    type: numberBetween(0.1, 86400),
    default: 30,
    loopOnly: true,
    role: 'saved',
    file: 'interval',
    help: 'seconds between full passes',
  },
} as const satisfies { [K in OptionKey]: OptionFor<PairConfig[K]> };

type Table = typeof PAIR_OPTIONS;
export type AnyOption = Table[OptionKey];

/** The options that are saved with a pair. */
export type SavedKey = { [K in OptionKey]: Table[K] extends { role: 'saved' } ? K : never }[OptionKey];

type StoredOf<O> = O extends { type: { fromStored(v: infer S): unknown } }
  ? O extends { repeatable: true }
    ? S[]
    : S
  : never;

/** A pair's saved options as the control API takes them (`POST /v1/pairs`) and the config file holds them. */
export type PairOptions = { [K in SavedKey]?: StoredOf<Table[K]> };

/** Option values as commander hands them over: an argument, the list of a repeatable flag's, or a switch. */
export type RawOptions = {
  [K in OptionKey]?: Table[K] extends { arg: string }
    ? Table[K] extends { repeatable: true }
      ? string[]
      : string
    : boolean;
};

/** The table as a list, in its order. */
export const OPTION_LIST = Object.entries(PAIR_OPTIONS) as [OptionKey, AnyOption][];

/** The saved options with their config-file keys, in the table's order. */
export const SAVED_OPTIONS = OPTION_LIST.filter(
  (e): e is [SavedKey, Extract<AnyOption, { role: 'saved' }>] => e[1].role === 'saved',
);

/** How an option is named in errors: `-L/--lazy`, `--max-size`. */
export function optionLabel(o: Flag): string {
  return o.short === undefined ? o.flag : `${o.short}/${o.flag}`;
}

// ---- reading values ----

function usage(message: string): LazysyncError {
  return new LazysyncError('usage', message);
}

/** The value of one argument of `option`; a usage error naming `label` (the flag by default) if it has none. */
export function parseArg<T>(option: ValueOption<T>, arg: string, label = optionLabel(option)): T {
  const value = option.type.fromArg(arg);
  if (value === undefined) throw usage(`${label} takes ${option.type.takes}, not '${arg}'`);
  const problem = option.type.outOfRange?.(value);
  if (problem !== undefined) throw usage(`${label} ${problem}, not ${arg}`);
  return value;
}

function defaultOf(option: AnyOption): unknown {
  if (!('arg' in option)) return false;
  if ('repeatable' in option) return [];
  return 'default' in option ? option.default : undefined;
}

/** A PairConfig from each option's value (`valueOf`), or its default; an option with neither is left out. */
function configOf(valueOf: (key: OptionKey, option: AnyOption) => unknown): PairConfig {
  const cfg: Record<string, unknown> = {};
  for (const [key, option] of OPTION_LIST) {
    const value = valueOf(key, option) ?? defaultOf(option);
    if (value === undefined || ('noneAtZero' in option && value === 0)) continue;
    cfg[key] = value;
  }
  return cfg as unknown as PairConfig;
}

/** The options' values from the command line; a usage error names the flag. Folders are not checked here. */
export function configFromArgs(raw: RawOptions): PairConfig {
  return configOf((key, option) => {
    const given = raw[key];
    if (given === undefined) return undefined;
    if (!('arg' in option)) return given === true;
    const one = (arg: string): unknown => parseArg(option as ValueOption<unknown>, arg);
    return Array.isArray(given) ? given.map(one) : one(String(given));
  });
}

/** The config file's and the API's values, already checked against their schema, with the pair's folders. */
export type StoredValues = PairOptions & { remote: string; local: string; logLevel?: LogLevel };

/** The options' values from stored forms (`StoredValues`). Folders are not checked here. */
export function configFromStored(values: StoredValues): PairConfig {
  return configOf((key, option) => {
    const stored = (values as Record<string, unknown>)[key];
    if (stored === undefined || !('arg' in option)) return undefined;
    const type = option.type as ValueType<unknown, unknown>;
    return Array.isArray(stored) ? stored.map((s) => type.fromStored(s)) : type.fromStored(stored);
  });
}

/** The saved options given on the command line, in their stored form (what `add` sends to the daemon). */
export function storedFromArgs(raw: RawOptions): PairOptions {
  const out: Record<string, unknown> = {};
  for (const [key, option] of SAVED_OPTIONS) {
    const given = raw[key];
    if (given === undefined) continue;
    const o = option as ValueOption<unknown>;
    const one = (arg: string): unknown => o.type.storedFromArg(arg, parseArg(o, arg));
    out[key] = Array.isArray(given) ? given.map(one) : one(String(given));
  }
  return out as PairOptions;
}

/** The schema of an option's stored form (a list of them for a repeatable one). */
export function storedSchema(option: AnyOption, zod: typeof z): z.ZodType {
  if (!('arg' in option)) throw new Error(`${option.flag} takes no value`);
  const one = option.type.stored(zod);
  return 'repeatable' in option ? zod.array(one) : one;
}

// ---- status ----

/** The options `status` lists for a pair (docs/api.md's `PairStatus.options`), in that order. */
export const STATUS_OPTIONS = [
  'interval',
  'maxDelete',
  'accessDetect',
  'placeholders',
  'pin',
  'ignore',
  'maxSize',
  'cacheMax',
  'bwlimit',
  'versionsMaxAge',
  'versionsMaxCount',
  'versionsMaxTotal',
  'versionsStaggered',
  'versionsSkipAbove',
] as const satisfies readonly SavedKey[];

/**
 * The options part of a pair's status, from its configuration and `bwlimit`, the rate in force now (the
 * one option that changes while the pair runs). An option that is not set is null.
 */
export function statusOptions(
  cfg: PairConfig,
  bwlimit: number | undefined = cfg.bwlimit,
): PairStatus['options'] {
  const now: Partial<PairConfig> = { ...cfg, bwlimit };
  const out: Record<string, unknown> = {};
  for (const key of STATUS_OPTIONS) out[key] = now[key] ?? null;
  return out as PairStatus['options'];
}
