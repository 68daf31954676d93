import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.js';
import type { Action, Entry, Policy, Side } from './types.js';
import {
  eager,
  lazy,
  lD,
  lF1,
  lF1exec,
  lF1later,
  lF1saved,
  lF2,
  lF3,
  lS1,
  lS2,
  P,
  P2,
  pinned,
  rD,
  rec,
  rF1,
  rF2,
  rF3,
  rS1,
  rS2,
  T2,
  file,
} from '../../test/unit/entries.js';

const p = 'a/p';

// Expected actions, carrying the scanned entries of the sides that exist.
const on = (local?: Entry, remote?: Entry) => ({ ...(local && { local }), ...(remote && { remote }) });
const download = (local: Entry | undefined, remote: Entry): Action => ({
  op: 'download',
  path: p,
  remote,
  ...on(local),
});
const placeholder = (local: Entry | undefined, remote: Entry): Action => ({
  op: 'placeholder',
  path: p,
  remote,
  ...on(local),
});
const upload = (local: Entry, remote?: Entry): Action => ({
  op: 'upload',
  path: p,
  local,
  ...on(undefined, remote),
});
const mkdir = (side: Side, local?: Entry, remote?: Entry): Action => ({
  op: 'mkdir',
  side,
  path: p,
  ...on(local, remote),
});
const link = (side: Side, target: string, local?: Entry, remote?: Entry): Action => ({
  op: 'symlink',
  side,
  path: p,
  target,
  ...on(local, remote),
});
const remove = (side: Side, local?: Entry, remote?: Entry): Action => ({
  op: 'remove',
  side,
  path: p,
  ...on(local, remote),
});
const conflict = (local: Entry, remote: Entry, winner: Side): Action => ({
  op: 'conflict',
  path: p,
  local,
  remote,
  winner,
});
const record = (local: Entry, remote: Entry): Action => ({ op: 'record', path: p, local, remote });
const forget: Action = { op: 'forget', path: p };

interface Row {
  desc: string;
  /** The archive's [local, remote]; absent on a first sync. */
  archive?: [Entry, Entry];
  local?: Entry;
  remote?: Entry;
  policy?: Policy;
  want: Action[];
}

/** A third link text, set on the remote three seconds after lS2. */
const rS3: Entry = { ...rS1, target: 'three', mtime: T2 + 3000 };
const smallFiles: Policy = { lazy: true, wantLocalCopy: (_path, remote) => remote.size < 150 };

const table: Row[] = [
  // docs/design.md's contract table, row by row.
  { desc: 'remote created file (lazy): placeholder', remote: rF1, want: [placeholder(undefined, rF1)] },
  {
    desc: 'remote created file (eager): download',
    remote: rF1,
    policy: eager,
    want: [download(undefined, rF1)],
  },
  {
    desc: 'remote created file (pinned): download',
    remote: rF1,
    policy: pinned,
    want: [download(undefined, rF1)],
  },
  {
    desc: 'remote created file below the auto-download size: download',
    remote: rF1,
    policy: smallFiles,
    want: [download(undefined, rF1)],
  },
  {
    desc: 'remote created file above the auto-download size: placeholder',
    remote: rF2,
    policy: smallFiles,
    want: [placeholder(undefined, rF2)],
  },
  { desc: 'remote created dir: mkdir local', remote: rD, want: [mkdir('local', undefined, rD)] },
  {
    desc: 'remote created symlink: same symlink locally, link text verbatim',
    remote: rS2,
    want: [link('local', '../two', undefined, rS2)],
  },
  {
    desc: 'remote modified, local placeholder (lazy): archive updated only',
    archive: [P, rF1],
    local: P,
    remote: rF2,
    want: [record(P, rF2)],
  },
  {
    desc: 'remote modified, local placeholder (eager): download',
    archive: [P, rF1],
    local: P,
    remote: rF2,
    policy: eager,
    want: [download(P, rF2)],
  },
  {
    desc: 'remote modified, clean local copy (lazy): back to a placeholder',
    archive: [lF1, rF1],
    local: lF1,
    remote: rF2,
    want: [placeholder(lF1, rF2)],
  },
  {
    desc: 'remote modified, clean local copy (eager): download again',
    archive: [lF1, rF1],
    local: lF1,
    remote: rF2,
    policy: eager,
    want: [download(lF1, rF2)],
  },
  {
    desc: 'remote modified, clean local copy (pinned): download again',
    archive: [lF1, rF1],
    local: lF1,
    remote: rF2,
    policy: pinned,
    want: [download(lF1, rF2)],
  },
  {
    desc: 'remote deleted, local placeholder: placeholder removed',
    archive: [P, rF1],
    local: P,
    want: [remove('local', P)],
  },
  {
    desc: 'remote deleted, clean local copy: removed locally (into versions)',
    archive: [lF1, rF1],
    local: lF1,
    want: [remove('local', lF1)],
  },
  { desc: 'local created file: upload', local: lF1, want: [upload(lF1)] },
  {
    desc: 'local modified file: upload over the remote',
    archive: [lF1, rF1],
    local: lF2,
    remote: rF1,
    want: [upload(lF2, rF1)],
  },
  { desc: 'local created dir: mkdir remote', local: lD, want: [mkdir('remote', lD)] },
  {
    desc: 'local created symlink: same symlink on the remote',
    local: lS1,
    want: [link('remote', 'x/one', lS1)],
  },
  {
    desc: 'local deleted placeholder: remote file removed (into versions)',
    archive: [P, rF1],
    remote: rF1,
    want: [remove('remote', undefined, rF1)],
  },
  {
    desc: 'local deleted copy: remote file removed (into versions)',
    archive: [lF1, rF1],
    remote: rF1,
    want: [remove('remote', undefined, rF1)],
  },
  {
    desc: 'both modified, remote newer: conflict, remote keeps the name',
    archive: [lF1, rF1],
    local: lF2,
    remote: rF3,
    want: [conflict(lF2, rF3, 'remote')],
  },
  {
    desc: 'both modified, local newer: conflict, local keeps the name',
    archive: [lF1, rF1],
    local: lF3,
    remote: rF2,
    want: [conflict(lF3, rF2, 'local')],
  },
  {
    desc: 'both modified in the same second: conflict, the tie goes to local',
    archive: [lF1, rF1],
    local: lF2,
    remote: file(250, T2 + 900),
    want: [conflict(lF2, file(250, T2 + 900), 'local')],
  },
  {
    desc: 'remote deleted, local modified: the modification wins and is uploaded',
    archive: [lF1, rF1],
    local: lF2,
    want: [upload(lF2)],
  },
  {
    desc: 'local deleted, remote modified (lazy): the modification wins, placeholder restored',
    archive: [lF1, rF1],
    remote: rF2,
    want: [placeholder(undefined, rF2)],
  },
  {
    desc: 'local deleted, remote modified (eager): the modification wins, downloaded',
    archive: [lF1, rF1],
    remote: rF2,
    policy: eager,
    want: [download(undefined, rF2)],
  },
  { desc: 'both deleted: forget', archive: [lF1, rF1], want: [forget] },
  {
    desc: 'both changed to the same content: archive updated, nothing copied',
    archive: [lF1, rF1],
    local: lF2,
    remote: rF2,
    want: [record(lF2, rF2)],
  },
  {
    desc: 'first sync, same size and mtime second on both sides: the bytes decide (a checked conflict)',
    local: lF1,
    remote: rF1,
    want: [{ ...conflict(lF1, rF1, 'local'), check: true } as Action],
  },
  {
    desc: 'first sync, different content: conflict, newer wins',
    local: lF1,
    remote: rF2,
    want: [conflict(lF1, rF2, 'remote')],
  },
  {
    desc: 'first sync, same size in another second: conflict for the executor to compare bytes',
    local: lF1later,
    remote: rF1,
    want: [conflict(lF1later, rF1, 'local')],
  },
  { desc: 'first sync, dir on both sides: record', local: lD, remote: rD, want: [record(lD, rD)] },

  // The rules under the table.
  { desc: 'unchanged on both sides: nothing', archive: [lF1, rF1], local: lF1, remote: rF1, want: [] },
  {
    desc: 'unchanged clean copy in lazy mode: not turned back into a placeholder by a pass',
    archive: [lF1, rF1],
    local: lF1,
    remote: rF1,
    policy: lazy,
    want: [],
  },
  { desc: 'unchanged dirs: nothing', archive: [lD, rD], local: lD, remote: rD, want: [] },
  {
    desc: 'local atomic save (new inode, same size and mtime): upload',
    archive: [lF1, rF1],
    local: lF1saved,
    remote: rF1,
    want: [upload(lF1saved, rF1)],
  },
  {
    desc: 'local mode change: upload',
    archive: [lF1, rF1],
    local: lF1exec,
    remote: rF1,
    want: [upload(lF1exec, rF1)],
  },
  {
    desc: 'local file replaced by a dir: mkdir remote over the file',
    archive: [lF1, rF1],
    local: lD,
    remote: rF1,
    want: [mkdir('remote', lD, rF1)],
  },
  {
    desc: 'local dir replaced by a file: upload over the remote dir (deferred by the planner)',
    archive: [lD, rD],
    local: lF1,
    remote: rD,
    want: [upload(lF1, rD)],
  },
  {
    desc: 'remote dir replaced by a file (lazy): placeholder over the local dir',
    archive: [lD, rD],
    local: lD,
    remote: rF1,
    want: [placeholder(lD, rF1)],
  },
  {
    desc: 'remote file replaced by a dir: mkdir local over the clean copy',
    archive: [lF1, rF1],
    local: lF1,
    remote: rD,
    want: [mkdir('local', lF1, rD)],
  },
  {
    desc: 'remote file replaced by a symlink: symlink local over the clean copy',
    archive: [lF1, rF1],
    local: lF1,
    remote: rS1,
    want: [link('local', 'x/one', lF1, rS1)],
  },
  {
    desc: 'remote symlink replaced by a file (eager): download over the local symlink',
    archive: [lS1, rS1],
    local: lS1,
    remote: rF2,
    policy: eager,
    want: [download(lS1, rF2)],
  },
  {
    desc: 'local symlink becomes a file: upload over the remote symlink',
    archive: [lS1, rS1],
    local: lF2,
    remote: rS1,
    want: [upload(lF2, rS1)],
  },
  {
    desc: 'local file becomes a symlink: symlink remote over the file',
    archive: [lF1, rF1],
    local: lS2,
    remote: rF1,
    want: [link('remote', '../two', lS2, rF1)],
  },
  {
    desc: 'remote symlink retargeted: symlink local',
    archive: [lS1, rS1],
    local: lS1,
    remote: rS2,
    want: [link('local', '../two', lS1, rS2)],
  },
  {
    desc: 'both retargeted a symlink differently: conflict',
    archive: [lS1, rS1],
    local: lS2,
    remote: rS3,
    want: [conflict(lS2, rS3, 'remote')],
  },
  {
    desc: 'both retargeted a symlink the same way: record',
    archive: [lS1, rS1],
    local: lS2,
    remote: rS2,
    want: [record(lS2, rS2)],
  },
  {
    desc: 'local made a dir where the remote modified the file: conflict, the dir keeps its name',
    archive: [lF1, rF1],
    local: lD,
    remote: rF2,
    want: [conflict(lD, rF2, 'local')],
  },
  {
    desc: 'first sync, a local symlink where the remote has a dir: conflict, the dir keeps its name',
    local: lS1,
    remote: rD,
    want: [conflict(lS1, rD, 'remote')],
  },
  {
    desc: 'both replaced a file by a dir: record',
    archive: [lF1, rF1],
    local: lD,
    remote: rD,
    want: [record(lD, rD)],
  },
  {
    desc: 'remote deleted a dir, local unchanged: remove local dir (deferred by the planner)',
    archive: [lD, rD],
    local: lD,
    want: [remove('local', lD)],
  },
  {
    desc: 'local deleted a symlink: remote symlink removed',
    archive: [lS1, rS1],
    remote: rS1,
    want: [remove('remote', undefined, rS1)],
  },

  {
    desc: 'remote became a dir where the local side already has one (archive behind): record',
    archive: [lD, rF1],
    local: lD,
    remote: rD,
    want: [record(lD, rD)],
  },
  {
    desc: 'local became a dir where the remote already has one (archive behind): record',
    archive: [lF1, rD],
    local: lD,
    remote: rD,
    want: [record(lD, rD)],
  },
  {
    desc: 'remote symlink retargeted to what the local one already says: record',
    archive: [lS2, rS1],
    local: lS2,
    remote: rS2,
    want: [record(lS2, rS2)],
  },
  {
    desc: 'local symlink retargeted to what the remote one already says: record',
    archive: [lS1, rS2],
    local: lS2,
    remote: rS2,
    want: [record(lS2, rS2)],
  },

  // Placeholders.
  { desc: 'unchanged placeholder (lazy): nothing', archive: [P, rF1], local: P, remote: rF1, want: [] },
  {
    desc: 'unchanged placeholder (eager): hydrated',
    archive: [P, rF1],
    local: P,
    remote: rF1,
    policy: eager,
    want: [download(P, rF1)],
  },
  {
    desc: 'unchanged placeholder of a newly pinned path: hydrated',
    archive: [P, rF1],
    local: P,
    remote: rF1,
    policy: pinned,
    want: [download(P, rF1)],
  },
  {
    desc: 'placeholder re-pointed locally, remote unchanged: record, the remote is not touched',
    archive: [P, rF1],
    local: P2,
    remote: rF1,
    want: [record(P2, rF1)],
  },
  {
    desc: 'placeholder re-pointed locally, remote unchanged (pinned): download',
    archive: [P, rF1],
    local: P2,
    remote: rF1,
    policy: pinned,
    want: [download(P2, rF1)],
  },
  {
    desc: 'a placeholder where the local dir was, remote dir unchanged: it shows nothing, the dir is restored',
    archive: [lD, rD],
    local: P,
    remote: rD,
    want: [mkdir('local', P, rD)],
  },
  {
    desc: 'first sync, local placeholder and remote file: record',
    local: P,
    remote: rF1,
    want: [record(P, rF1)],
  },
  {
    desc: 'first sync, local placeholder and remote file (pinned): download',
    local: P,
    remote: rF1,
    policy: pinned,
    want: [download(P, rF1)],
  },
  {
    desc: 'first sync, placeholder whose remote file is gone: removed',
    local: P,
    want: [remove('local', P)],
  },
  {
    desc: 'first sync, placeholder where the remote has a dir: counts as absent, mkdir local',
    local: P,
    remote: rD,
    want: [mkdir('local', P, rD)],
  },
  {
    desc: 'first sync, placeholder where the remote has a symlink: counts as absent, symlink local',
    local: P,
    remote: rS1,
    want: [link('local', 'x/one', P, rS1)],
  },
  {
    desc: 'local deleted a placeholder, remote modified: placeholder restored',
    archive: [P, rF1],
    remote: rF2,
    want: [placeholder(undefined, rF2)],
  },
  {
    desc: 'placeholder re-pointed, remote deleted: placeholder removed, nothing uploaded',
    archive: [P, rF1],
    local: P2,
    want: [remove('local', P2)],
  },
  {
    desc: 'clean copy dehydrated elsewhere, remote modified: record (both changed, same content)',
    archive: [lF1, rF1],
    local: P,
    remote: rF2,
    want: [record(P, rF2)],
  },
  {
    desc: 'remote file became a dir while the local placeholder stayed: mkdir local over it',
    archive: [P, rF1],
    local: P,
    remote: rD,
    want: [mkdir('local', P, rD)],
  },
];

describe('decide: contract table and rules', () => {
  for (const row of table) {
    it(row.desc, () => {
      const archive = row.archive && rec(p, row.archive[0], row.archive[1]);
      const got = decide(p, archive, row.local, row.remote, row.policy ?? lazy);
      assert.deepEqual(got, row.want, `"${row.desc}"`);
    });
  }
});

describe('decide: first sync is a union and never deletes data', () => {
  const locals = [undefined, lF1, lF2, lF1later, lD, lS1, lS2, P];
  const remotes = [undefined, rF1, rF2, rF3, rD, rS1, rS2];
  for (const policy of [lazy, eager]) {
    it(`no removal of anything but a placeholder, and nothing forgotten (${policy.lazy ? 'lazy' : 'eager'})`, () => {
      for (const local of locals) {
        for (const remote of remotes) {
          const got = decide(p, undefined, local, remote, policy);
          const desc = `local ${local?.kind ?? 'absent'} ${local?.size ?? ''}, remote ${remote?.kind ?? 'absent'} ${remote?.size ?? ''}`;
          for (const a of got) {
            assert.ok(a.op !== 'forget', `"${desc}": forget on a first sync`);
            if (a.op === 'remove')
              assert.ok(a.side === 'local' && a.local === P, `"${desc}": removes ${a.side} data`);
          }
          if (local !== undefined || remote !== undefined)
            assert.ok(got.length > 0, `"${desc}": nothing planned`);
        }
      }
    });
  }
});
