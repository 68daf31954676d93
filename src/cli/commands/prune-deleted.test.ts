import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDeleted } from './deleted.js';
import { renderPruned } from './prune.js';

const none = { count: 0, bytes: 0 };

describe('renderPruned', () => {
  it('a dry run: the table of what would go, then the summary; a pair without a rule says so', () => {
    const { out, err } = renderPruned([
      {
        pair: 'docs',
        dryRun: true,
        rule: 'beyond 1 per file',
        removed: { local: none, remote: { count: 2, bytes: 3072 } },
        versions: [
          {
            side: 'remote',
            path: 'a.txt',
            file: '.lazysync/versions/a~20261101-090000.txt',
            made: '2026-11-01T09:00:00.000Z',
            size: 3072,
            reason: 'count',
          },
        ],
        forgotten: 0,
      },
      {
        pair: 'photos',
        dryRun: true,
        rule: null,
        removed: { local: none, remote: none },
        versions: [],
        forgotten: 0,
      },
    ]);
    assert.deepEqual(out, [
      'SIDE    MADE                        SIZE  WHY    PATH   VERSION',
      'remote  2026-11-01 09:00:00 UTC  3.0 KiB  count  a.txt  .lazysync/versions/a~20261101-090000.txt',
      '... and 1 more',
      'docs: would remove 2 versions: 0 local (0 B), 2 remote (3.0 KiB); rule: beyond 1 per file',
      'photos: no retention rule, every version is kept (see --versions-max-age and the others)',
    ]);
    assert.deepEqual(err, []);
  });

  it('a real run: the summary and what was left alone; a failed pair is an error line', () => {
    const { out, err } = renderPruned([
      {
        pair: 'docs',
        dryRun: false,
        rule: 'older than 30d',
        removed: { local: { count: 1, bytes: 10 }, remote: none },
        versions: [],
        forgotten: 1,
      },
      { pair: 'gone', error: 'remote unavailable: /mnt/x is not mounted; nothing pruned' },
    ]);
    assert.deepEqual(out, [
      'docs: removed 1 version: 1 local (10 B), 0 remote (0 B); rule: older than 30d',
      'docs: 1 version already gone or changed by someone else: left alone',
    ]);
    assert.deepEqual(err, ['gone: remote unavailable: /mnt/x is not mounted; nothing pruned']);
  });
});

describe('renderDeleted', () => {
  it('a folder in one row with its files counted, a file with its version; or a line saying there is none', () => {
    assert.deepEqual(
      renderDeleted([
        {
          pair: 'p',
          path: 'proj',
          kind: 'folder',
          version: '20261204-101500-1',
          side: 'both',
          size: 2048,
          files: 3,
        },
        {
          pair: 'p',
          path: 'a.txt',
          kind: 'file',
          version: '20261203-090000',
          side: 'local',
          size: 5,
          files: 1,
        },
      ]),
      [
        'PAIR  WHEN                     VERSION            SIDE      SIZE  PATH',
        'p     2026-12-04 10:15:00 UTC  20261204-101500-1  both   2.0 KiB  proj/ (3 files)',
        'p     2026-12-03 09:00:00 UTC  20261203-090000    local      5 B  a.txt',
      ],
    );
    assert.deepEqual(renderDeleted([]), ['nothing deleted has versions']);
  });
});
