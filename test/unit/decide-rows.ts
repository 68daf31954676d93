// The rows of decide()'s table-driven tests: expected actions for the path `p`, and the runner of a table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../src/core/decide.js';
import type { Action, Entry, Policy, Side } from '../../src/core/types.js';
import { lazy, rec, rS1, T2 } from './entries.js';

/** The path every row decides. */
export const p = 'a/p';

// Expected actions, carrying the scanned entries of the sides that exist.
const on = (local?: Entry, remote?: Entry) => ({ ...(local && { local }), ...(remote && { remote }) });
export const download = (local: Entry | undefined, remote: Entry): Action => ({
  op: 'download',
  path: p,
  remote,
  ...on(local),
});
export const placeholder = (local: Entry | undefined, remote: Entry): Action => ({
  op: 'placeholder',
  path: p,
  remote,
  ...on(local),
});
export const upload = (local: Entry, remote?: Entry): Action => ({
  op: 'upload',
  path: p,
  local,
  ...on(undefined, remote),
});
export const mkdir = (side: Side, local?: Entry, remote?: Entry): Action => ({
  op: 'mkdir',
  side,
  path: p,
  ...on(local, remote),
});
export const link = (side: Side, target: string, local?: Entry, remote?: Entry): Action => ({
  op: 'symlink',
  side,
  path: p,
  target,
  ...on(local, remote),
});
export const remove = (side: Side, local?: Entry, remote?: Entry): Action => ({
  op: 'remove',
  side,
  path: p,
  ...on(local, remote),
});
/** A conflict; `localCopy` when the remote file's content is to land locally as a copy. */
export const conflict = (local: Entry, remote: Entry, winner: Side, localCopy = false): Action => ({
  op: 'conflict',
  path: p,
  local,
  remote,
  winner,
  ...(localCopy && { localCopy: true }),
});
export const record = (local: Entry, remote: Entry): Action => ({ op: 'record', path: p, local, remote });
export const forget: Action = { op: 'forget', path: p };

export interface Row {
  desc: string;
  /** The archive's [local, remote]; absent on a first sync. */
  archive?: [Entry, Entry];
  local?: Entry;
  remote?: Entry;
  policy?: Policy;
  want: Action[];
}

/** A third link text, set on the remote three seconds after lS2. */
export const rS3: Entry = { ...rS1, target: 'three', mtime: T2 + 3000 };
/** Eager mode with --max-size between the sizes of rF1 and rF2. */
export const eagerUpTo150: Policy = { lazy: false, maxSize: 150 };

/** One test per row: decide() on the row's archive, sides and policy (lazy by default) gives `want`. */
export function decideRows(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      it(row.desc, () => {
        const archive = row.archive && rec(p, row.archive[0], row.archive[1]);
        const got = decide(p, archive, row.local, row.remote, row.policy ?? lazy);
        assert.deepEqual(got, row.want, `"${row.desc}"`);
      });
    }
  });
}
