// Turns raw command-line values into one validated, typed pair configuration. Nothing else reads argv.
import fs from 'node:fs';
import path from 'node:path';
import { LazysyncError, hasCode } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import { parseSize } from './core/size.js';
import { STATE_DIR } from './core/paths.js';

export interface PairConfig {
  /** Absolute path of the remote root (the mounted folder), as the user named it. */
  remote: string;
  /** Absolute path of the local root. */
  local: string;
  lazy: boolean;
  /** Seconds between passes in `run`. */
  interval: number;
  dryRun: boolean;
  ignore: string[];
  /** Percent of one side's files a pass may delete before it waits for confirmation. */
  maxDelete: number;
  confirmDeletes: boolean;
  logLevel: LogLevel;
  logFile?: string;
  /** gitignore-style patterns of paths that are always kept as local copies. */
  pin: string[];
  /** Files larger than this stay placeholders unless pinned. */
  maxSize?: number;
  /** Clean local copies beyond this total are turned back into placeholders, least recently opened first. */
  cacheMax?: number;
  accessDetect: AccessDetect;
  /** Bytes per second shared by all transfers of the pair; undefined = unlimited. */
  bwlimit?: number;
}

export const ACCESS_DETECT = ['inotify', 'proc'] as const;
export type AccessDetect = (typeof ACCESS_DETECT)[number];

/** Raw option values as commander hands them over (strings, booleans, arrays). */
export interface RawOptions {
  remote?: string;
  local?: string;
  lazy?: string;
  interval?: string;
  dryRun?: boolean;
  ignore?: string[];
  maxDelete?: string;
  confirmDeletes?: boolean;
  logLevel?: string;
  logFile?: string;
  pin?: string[];
  maxSize?: string;
  cacheMax?: string;
  accessDetect?: string;
  bwlimit?: string;
}

export const DEFAULTS = { interval: 30, maxDelete: 50, logLevel: 'info' as LogLevel };

function usage(message: string): LazysyncError {
  return new LazysyncError('usage', message);
}

export function parseYesNo(flag: string, value: string | undefined, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  const v = value.toLowerCase();
  if (v === 'y' || v === 'yes') return true;
  if (v === 'n' || v === 'no') return false;
  throw usage(`${flag} takes y or n, not '${value}'`);
}

export function parseNumber(
  flag: string,
  value: string | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw usage(`${flag} takes a number, not '${value}'`);
  if (n < min || n > max) throw usage(`${flag} must be between ${min} and ${max}, not ${value}`);
  return n;
}

function parseSizeOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = parseSize(value);
  if (n === undefined) throw usage(`${flag} takes a size like 512, 64K, 10M or 2G, not '${value}'`);
  return n;
}

function parseAccessDetect(value: string | undefined): AccessDetect {
  if (value === undefined) return 'inotify';
  if ((ACCESS_DETECT as readonly string[]).includes(value)) return value as AccessDetect;
  throw usage(`--access-detect takes inotify or proc, not '${value}'`);
}

function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return DEFAULTS.logLevel;
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw usage(`--log-level takes one of ${LOG_LEVELS.join(', ')}, not '${value}'`);
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest, so nesting checks see through symlinks. */
function realish(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Validates everything that does not depend on the remote being reachable right now.
 * `requireRemote` (for one-shot `sync`) also insists that the remote folder exists.
 */
export function pairConfigFrom(raw: RawOptions, requireRemote: boolean): PairConfig {
  if (raw.remote === undefined || raw.remote === '')
    throw usage('missing -r/--remote FOLDER (the mounted remote folder)');
  if (raw.local === undefined || raw.local === '')
    throw usage('missing -l/--local FOLDER (the local folder)');
  const remote = path.resolve(raw.remote);
  const local = path.resolve(raw.local);
  const lazy = parseYesNo('-L/--lazy', raw.lazy, true);
  const interval = parseNumber('--interval', raw.interval, DEFAULTS.interval, 0.1, 86400);
  const maxDelete = parseNumber('--max-delete', raw.maxDelete, DEFAULTS.maxDelete, 0, 100);
  const logLevel = parseLogLevel(raw.logLevel);
  const maxSize = parseSizeOption('--max-size', raw.maxSize);
  const cacheMax = parseSizeOption('--cache-max', raw.cacheMax);
  const accessDetect = parseAccessDetect(raw.accessDetect);
  const bwlimit = parseSizeOption('--bwlimit', raw.bwlimit);

  const realRemote = realish(remote);
  const realLocal = realish(local);
  if (realRemote === realLocal) throw usage(`remote and local are the same folder: ${remote}`);
  if (isInside(realLocal, realRemote))
    throw usage(`the local folder ${local} is inside the remote folder ${remote}`);
  if (isInside(realRemote, realLocal))
    throw usage(`the remote folder ${remote} is inside the local folder ${local}`);

  // A remote that was never synced and does not exist is a typo (usage); one that was synced before and is
  // gone now is an unmounted remote, which the pass reports as "remote unavailable".
  const syncedBefore = fs.existsSync(path.join(local, STATE_DIR, 'state.db'));
  if (requireRemote && !syncedBefore) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(remote);
    } catch (e) {
      if (hasCode(e, 'ENOENT', 'ENOTDIR')) throw usage(`the remote folder ${remote} does not exist`);
    }
    if (st !== undefined && !st.isDirectory()) throw usage(`the remote ${remote} is not a folder`);
  }
  const localStat = fs.statSync(local, { throwIfNoEntry: false });
  if (localStat === undefined) {
    if (!fs.statSync(path.dirname(local), { throwIfNoEntry: false })?.isDirectory()) {
      throw usage(`the local folder ${local} does not exist and neither does its parent`);
    }
  } else if (!localStat.isDirectory()) {
    throw usage(`the local path ${local} is not a folder`);
  }

  const cfg: PairConfig = {
    remote,
    local,
    lazy,
    interval,
    dryRun: raw.dryRun === true,
    ignore: raw.ignore ?? [],
    maxDelete,
    confirmDeletes: raw.confirmDeletes === true,
    logLevel,
    pin: raw.pin ?? [],
    accessDetect,
  };
  if (maxSize !== undefined) cfg.maxSize = maxSize;
  if (cacheMax !== undefined) cfg.cacheMax = cacheMax;
  if (bwlimit !== undefined && bwlimit > 0) cfg.bwlimit = bwlimit;
  if (raw.logFile !== undefined) cfg.logFile = path.resolve(raw.logFile);
  return cfg;
}
