import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { keepVersion } from '../versions/versions.js';
import type { LedgerRow } from '../store/archive-versions.js';
import { makeTmp, put, rmTmp } from '../../test/unit/fs.js';
import { VersionRemover } from './prune-remove.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('VersionRemover, listing folders first', () => {
  let root: string;
  before(() => (root = makeTmp('prune-remove')));
  after(() => rmTmp(root));

  /** `n` versions of `rel` a minute apart, as the ledger records them. */
  async function versions(n: number, rel = 'd/a.txt'): Promise<LedgerRow[]> {
    const rows: LedgerRow[] = [];
    for (let i = 0; i < n; i++) {
      put(root, rel, `v${i}`);
      const made = NOW - i * 60_000;
      const k = await keepVersion(root, rel, made);
      const { kind, size, mtime } = k;
      rows.push({
        id: i,
        side: 'remote',
        path: rel,
        file: k.path,
        made,
        kind,
        size,
        mtime,
      });
    }
    return rows;
  }

  it('removes what is still as kept, leaves a changed one, and removes the emptied folder', async () => {
    const rows = await versions(12);
    const changed = rows[3] as LedgerRow;
    fs.writeFileSync(`${root}/${changed.file}`, 'not what was kept');
    const remover = new VersionRemover(root, { listFolders: true });
    remover.willRemove(rows);
    const outcomes = await Promise.all(rows.map((r) => remover.remove(r)));
    assert.deepEqual(
      outcomes,
      rows.map((r) => (r === changed ? 'changed' : 'removed')),
    );
    await remover.removeEmptiedFolders();
    assert.deepEqual(fs.readdirSync(`${root}/.lazysync/versions/d`), [changed.file.split('/').pop()]);
  });

  it('removes many emptied folders of one parent', async () => {
    const rows: LedgerRow[] = [];
    for (let d = 0; d < 10; d++) rows.push(...(await versions(2, `many/d${d}/a.txt`)));
    const remover = new VersionRemover(root, { listFolders: true });
    remover.willRemove(rows);
    for (const r of rows) assert.equal(await remover.remove(r), 'removed');
    await remover.removeEmptiedFolders();
    assert.deepEqual(fs.readdirSync(`${root}/.lazysync/versions/many`), []);
  });
});
