import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDaemonStatus, renderPairs, stateLabel } from './status-view.js';
import { samplePair } from '../../test/unit/api.js';
import { interpretProbe } from '../fsops/probe.js';

const now = new Date('2026-11-28T10:18:00.000Z');

describe('renderPairs', () => {
  it('one row per pair: state, last pass, counts with the local copies size', () => {
    const lines = renderPairs(
      [
        samplePair(),
        samplePair({
          name: 'photos',
          state: 'remote-unavailable',
          reason: '/mnt/photos is not mounted',
          lastPass: null,
          counts: {
            placeholders: 0,
            localCopies: 0,
            localCopyBytes: 0,
            pinned: 0,
            conflicts: 1,
            problems: 4,
          },
          versions: { local: { count: 3, bytes: 3 * 2 ** 20 }, remote: { count: 12, bytes: 2 ** 30 } },
        }),
      ],
      now,
    );
    assert.deepEqual(lines, [
      'PAIR      STATE               LAST PASS  PLACEHOLDERS  LOCAL COPIES  PINNED  CONFLICTS  PROBLEMS     VERSIONS L / R',
      'projects  idle                3 min ago          1200   35 (50 MiB)       2          0         0                  -',
      'photos    remote unavailable  never                 0             0       0          1         4  3.0 MiB / 1.0 GiB',
      '',
      'photos: remote unavailable: /mnt/photos is not mounted',
    ]);
  });

  it("names what the remote's mount cannot do, and the paths that stay local because of it", () => {
    const mount = { mountPoint: '/mnt/c', fsType: 'fuse.rclone', source: 'c:', id: 44, dev: '0:39' };
    const probe = interpretProbe(
      {
        mount,
        scratch: { ok: true },
        hardLink: { ok: false, error: 'EIO' },
        symlink: { ok: false, error: 'EIO', wanted: 'file' },
      },
      now,
    );
    const local = interpretProbe({ mount: { ...mount, fsType: 'ext4' }, scratch: { ok: true } }, now);
    const lines = renderPairs(
      [samplePair({ name: 'cloud', mount: probe, skipped: 2 }), samplePair({ name: 'disk', mount: local })],
      now,
    );
    assert.deepEqual(lines.slice(-2), [
      'cloud: remote (rclone): no hard links, no symlinks',
      'cloud: 2 path(s) stay local only: the remote cannot store them (see the log)',
    ]);
  });

  it('says how to go on from a pause or a wait for delete confirmation', () => {
    const lines = renderPairs(
      [
        samplePair({
          name: 'my pair',
          state: 'waiting-confirm',
          reason: 'the pass would delete 80 of 100 files',
        }),
        samplePair({ name: 'b', state: 'paused', reason: null }),
      ],
      now,
    );
    assert.deepEqual(lines.slice(-2), [
      "my pair: waiting for delete confirmation: the pass would delete 80 of 100 files; apply with `lazysync resume 'my pair' --confirm-deletes`",
      'b: paused; continue with `lazysync resume b`',
    ]);
  });

  it('lists transfers with progress, rate and time left; names are escaped', () => {
    const lines = renderPairs(
      [
        samplePair({
          state: 'syncing',
          transfers: [
            {
              path: 'big.iso',
              direction: 'download',
              bytes: 2 ** 20,
              total: 4 * 2 ** 20,
              rate: 2 * 2 ** 20,
              etaSeconds: 1.5,
            },
            { path: 'new\nline', direction: 'upload', bytes: 0, total: 10, rate: 0, etaSeconds: null },
          ],
        }),
      ],
      now,
    );
    assert.deepEqual(lines.slice(-3), [
      'TRANSFERS  DIRECTION  PATH       PROGRESS                 RATE       TIME LEFT',
      'projects   download   big.iso    1.0 MiB / 4.0 MiB (25%)  2.0 MiB/s  2 s left',
      'projects   upload     new\\nline  0 B / 10 B (0%)          0 B/s      ?',
    ]);
  });

  it('shows an unknown state as it is', () => assert.equal(stateLabel('hibernating'), 'hibernating'));
});

describe('renderDaemonStatus', () => {
  it('a header line, then the pairs, or how to add one', () => {
    const s = { version: '0.1.0', pid: 42, pairs: [samplePair()] };
    assert.equal(renderDaemonStatus(s, now)[0], 'lazysync 0.1.0, daemon pid 42');
    assert.equal(renderDaemonStatus(s, now).length, 4);
    assert.deepEqual(renderDaemonStatus({ ...s, pairs: [] }, now), [
      'lazysync 0.1.0, daemon pid 42',
      'no pairs yet: add one with `lazysync add -r REMOTE -l LOCAL`',
    ]);
  });
});
