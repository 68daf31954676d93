// decide(), row by row of the contract table in docs/design.md, and the first sync's union.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.js';
import type { Action } from './types.js';
import {
  eager,
  lazy,
  lD,
  lF1,
  lF1later,
  lF2,
  lF3,
  lS1,
  lS2,
  P,
  pinned,
  rD,
  rF1,
  rF2,
  rF3,
  rS1,
  rS2,
  T2,
  file,
  FP1,
} from '../../test/unit/entries.js';
import {
  p,
  download,
  placeholder,
  upload,
  mkdir,
  link,
  remove,
  conflict,
  record,
  forget,
  eagerUpTo150,
  decideRows,
} from '../../test/unit/decide-rows.js';

decideRows('decide: the contract table of docs/design.md, row by row', [
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
    desc: 'remote created file within --max-size (eager): download',
    remote: rF1,
    policy: eagerUpTo150,
    want: [download(undefined, rF1)],
  },
  {
    desc: 'remote created file over --max-size (eager): placeholder',
    remote: rF2,
    policy: eagerUpTo150,
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
    desc: 'remote modified, local file placeholder: made again, showing the new size and time',
    archive: [FP1, rF1],
    local: FP1,
    remote: rF2,
    want: [placeholder(FP1, rF2)],
  },
  {
    desc: 'remote modified, local file placeholder that already shows it: archive updated only',
    archive: [FP1, rF1],
    local: { ...FP1, size: rF2.size, mtime: rF2.mtime },
    remote: rF2,
    want: [record({ ...FP1, size: rF2.size, mtime: rF2.mtime }, rF2)],
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
    desc: 'both modified (eager): conflict, and the remote content lands locally as a copy, not a placeholder',
    archive: [lF1, rF1],
    local: lF3,
    remote: rF2,
    policy: eager,
    want: [conflict(lF3, rF2, 'local', true)],
  },
  {
    desc: 'both modified (lazy, pinned): conflict, the remote content lands locally as a copy',
    archive: [lF1, rF1],
    local: lF2,
    remote: rF3,
    policy: pinned,
    want: [conflict(lF2, rF3, 'remote', true)],
  },
  {
    desc: 'both modified (eager, remote file over --max-size): conflict, the remote content stays a placeholder',
    archive: [lF1, rF1],
    local: lF3,
    remote: rF2,
    policy: eagerUpTo150,
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
    desc: 'both changed, same size and mtime second: the bytes decide (the same bytes are only recorded)',
    archive: [lF1, rF1],
    local: lF2,
    remote: rF2,
    want: [{ ...conflict(lF2, rF2, 'local'), check: true } as Action],
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
]);

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
