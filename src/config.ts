// One validated, typed pair configuration, from the command line's values or from the config file's and the
// control API's (each option read as src/pair-options.ts says), with the checks of the pair's two folders.
import fs from 'node:fs';
import path from 'node:path';
import { LazysyncError, hasCode } from './errors.js';
import type { LogLevel } from './log.js';
import { STATE_DIR } from './core/paths.js';
import {
  configFromArgs,
  configFromStored,
  type AccessDetect,
  type PlaceholderKind,
  type RawOptions,
  type StoredValues,
} from './pair-options.js';

/** A pair's configuration; src/pair-options.ts's table has an entry for each field. */
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
  /** What a placeholder is: a symlink into the mount, or a regular file fetched on first access. */
  placeholders: PlaceholderKind;
  /** Programs refused when they open a file placeholder (names or paths; empty: the default list). */
  noFetchBy: string[];
  /** Bytes per second shared by all transfers of the pair; undefined = unlimited. */
  bwlimit?: number;
  /** Retention (docs/design.md "Versions and retention"): versions older than this (ms) are pruned. */
  versionsMaxAge?: number;
  /** At most this many versions of one path on one side. */
  versionsMaxCount?: number;
  /** At most this many bytes of versions on one side. */
  versionsMaxTotal?: number;
  /** Thin versions with age: all of the last hour, then one per hour, day, week. */
  versionsStaggered: boolean;
  /** Files larger than this are overwritten or deleted without keeping a version. */
  versionsSkipAbove?: number;
}

function usage(message: string): LazysyncError {
  return new LazysyncError('usage', message);
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
 * A pair's configuration from the command line. Validates everything that does not depend on the remote
 * being reachable right now; `requireRemote` (for one-shot `sync`) also insists that the remote folder exists.
 */
export function pairConfigFrom(raw: RawOptions, requireRemote: boolean): PairConfig {
  if (raw.remote === undefined || raw.remote === '')
    throw usage('missing -r/--remote FOLDER (the mounted remote folder)');
  if (raw.local === undefined || raw.local === '')
    throw usage('missing -l/--local FOLDER (the local folder)');
  const cfg = configFromArgs(raw);
  checkFolders(cfg.remote, cfg.local, requireRemote);
  return cfg;
}

/**
 * A pair's configuration from the config file's or the control API's values (checked against their schema
 * already), with the same checks of its folders as the command line's.
 */
export function pairConfigFromStored(values: StoredValues): PairConfig {
  const cfg = configFromStored(values);
  checkFolders(cfg.remote, cfg.local, false);
  return cfg;
}

/** The folders exist as needed and neither is inside the other. */
function checkFolders(remote: string, local: string, requireRemote: boolean): void {
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
}
