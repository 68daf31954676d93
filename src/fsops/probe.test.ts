import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  interpretProbe,
  kindOf,
  mtimePrecisionOf,
  parseProbe,
  PROBE_MAX_AGE_MS,
  probeIsStale,
  type MountIdentity,
  type ProbeObservations,
} from './probe.js';
import { factsOf, symlinkLimit } from './probe-facts.js';
import { describeProbe, mountAdvice, summarizeProbe } from './probe-advice.js';
import { mountLineOf } from './probe-run.js';
import { NOW, SET, allGood, mount } from '../../test/unit/probe.js';

describe('kindOf', () => {
  const table: [string, string, string][] = [
    ['fuse.sshfs', 'root@h:/d', 'sshfs'],
    ['fuse.rclone', 'remote:', 'rclone'],
    ['fuse', 'http://127.0.0.1:8080/dav', 'davfs2'],
    ['fuse', 'HTTPS://host/x', 'davfs2'],
    ['fuse', '/dev/sdb1', 'fuse'],
    ['fuse.smbnetfs', 'smbnetfs', 'smbnetfs'],
    ['cifs', '//h/s', 'cifs'],
    ['nfs4', 'h:/e', 'nfs'],
    ['ext4', '/dev/vda', 'local-disk'],
    ['fuse.gocryptfs', 'x', 'fuse'],
    ['9p', 'x', 'other'],
  ];
  for (const [fsType, source, kind] of table) {
    it(`${fsType} from ${source} is ${kind}`, () => assert.equal(kindOf({ fsType, source }), kind));
  }
});

describe('mtimePrecisionOf', () => {
  const table: [number, number | null][] = [
    [SET, 0.001],
    [1_600_000_000_123, 1],
    [1_600_000_000_120, 10],
    [1_600_000_000_000, 1000],
    [1_600_000_000_000 - 0, 1000],
    [Date.parse('2026-12-01T10:00:00Z'), null],
  ];
  for (const [read, step] of table) {
    it(`read ${read} gives ${step}`, () => assert.equal(mtimePrecisionOf(SET, read), step));
  }
  it('rounding to the second counts as whole seconds', () => {
    assert.equal(mtimePrecisionOf(1_600_000_000_700, 1_600_000_001_000), 1000);
  });
});

describe('interpretProbe', () => {
  it('a local disk can do everything', () => {
    const p = interpretProbe(allGood(mount('ext4', '/dev/vda')), NOW);
    assert.deepEqual(
      [p.kind, p.writable, p.hardLinks, p.symlinks, p.absoluteSymlinks, p.renameOver],
      ['local-disk', true, true, true, true, true],
    );
    assert.deepEqual(
      [p.mtimePrecisionMs, p.mtimesKept, p.modesKept, p.fsync, p.caseSensitive, p.maxNameLength],
      [0.001, true, true, true, true, 255],
    );
    assert.deepEqual(p.notes, { listingCacheS: 'a local filesystem' });
    assert.equal(p.listingCacheS, 0);
    assert.equal(p.probedAt, NOW.toISOString());
  });

  it('rclone: no hard links nor symlinks (EIO), modes shown fixed', () => {
    const obs: ProbeObservations = {
      ...allGood(mount('fuse.rclone')),
      hardLink: { ok: false, error: 'EIO' },
      symlink: { ok: false, error: 'EIO', wanted: 'file' },
      absoluteSymlink: { ok: false, error: 'EIO', wanted: '/a' },
      modeAfterRename: 0o644,
    };
    const p = interpretProbe(obs, NOW);
    assert.equal(p.hardLinks, false);
    assert.equal(p.symlinks, false);
    assert.equal(p.absoluteSymlinks, false);
    assert.equal(p.modesKept, false);
    assert.equal(p.notes.hardLinks, 'EIO');
    assert.equal(p.notes.modesKept, 'set 0640, the mount shows 0644');
    const f = factsOf(p);
    assert.equal(f.hardLinks, false);
    assert.equal(f.canStoreSymlink('x'), false);
    assert.equal(f.modesKept, false);
    assert.equal(f.rereadAfterUpload, true);
    assert.match(symlinkLimit(p, 'x'), /the rclone mount cannot store symlinks \(EIO\)/);
  });

  it('davfs2: mtimes are rewritten by the server whatever the experiment saw', () => {
    const p = interpretProbe(
      {
        ...allGood(mount('fuse', 'http://127.0.0.1/dav')),
        hardLink: { ok: false, error: 'EPERM' },
        symlink: { ok: false, error: 'ENOSYS', wanted: 'file' },
      },
      NOW,
    );
    assert.equal(p.kind, 'davfs2');
    assert.equal(p.mtimesKept, false);
    assert.equal(factsOf(p).mtimesRewritten, true);
    assert.equal(p.absoluteSymlinks, false);
  });

  it('sshfs with contain_symlinks: relative links work, absolute and ".." ones cannot be read', () => {
    const p = interpretProbe(
      {
        ...allGood(mount('fuse.sshfs')),
        absoluteSymlink: { ok: true, wanted: '/a' },
        parentSymlink: { ok: true, wanted: '../a' },
        mtimeReadMs: 1_600_000_000_000,
        mtimeAfterRenameMs: 1_600_000_000_000,
      },
      NOW,
    );
    assert.equal(p.symlinks, true);
    assert.equal(p.absoluteSymlinks, false);
    assert.equal(p.notes.absoluteSymlinks, 'made, but its link text cannot be read');
    assert.equal(p.mtimePrecisionMs, 1000);
    assert.equal(p.mtimesKept, true);
    const f = factsOf(p);
    assert.equal(f.canStoreSymlink('rel/x'), true);
    assert.equal(f.canStoreSymlink('/abs'), false);
    assert.equal(f.canStoreSymlink('a/../b'), false);
    assert.equal(f.canStoreSymlink('a..b/c'), true);
    assert.equal(p.parentSymlinks, false);
    assert.match(symlinkLimit(p, '/abs'), /cannot store symlinks with an absolute target \(made, but/);
    assert.match(symlinkLimit(p, '../up'), /cannot store symlinks whose target has "\.\."/);
    assert.equal(summarizeProbe(p), 'sshfs: no absolute symlinks, no ".." symlinks');
    assert.deepEqual(
      mountAdvice(p).map((a) => a.option.split(' ')[1]),
      ['reconnect', 'dcache_timeout=5', 'dir_cache=yes', 'no_contain_symlinks'],
    );
  });

  it('samba with map archive: modes do not stick, and the advice says map archive = no', () => {
    const p = interpretProbe({ ...allGood(mount('fuse.smbnetfs')), modeAfterRename: 0o744 }, NOW);
    assert.equal(p.modesKept, false);
    assert.match(mountAdvice(p)[0]?.option ?? '', /map archive = no/);
    assert.equal(summarizeProbe(p), 'smbnetfs: modes not kept');
  });

  it('a case-insensitive remote, a mtime that does not survive the rename, a link text changed', () => {
    const p = interpretProbe(
      {
        ...allGood(mount('cifs')),
        caseFold: { ok: true, foundOtherCase: true },
        mtimeAfterRenameMs: Date.parse('2026-12-01T09:59:00Z'),
        symlink: { ok: true, wanted: 'file', readBack: '/abs/file' },
      },
      NOW,
    );
    assert.equal(p.caseSensitive, false);
    assert.equal(p.mtimesKept, false);
    assert.equal(p.symlinks, false);
    assert.match(p.notes.symlinks ?? '', /reads back as/);
  });

  it('a read-only remote: nothing else is known, and the facts stay as for a local disk', () => {
    const p = interpretProbe({ mount: mount('fuse.sshfs'), scratch: { ok: false, error: 'EROFS' } }, NOW);
    assert.equal(p.writable, false);
    assert.equal(p.hardLinks, null);
    assert.equal(p.notes.writable, 'EROFS');
    const f = factsOf(p);
    assert.equal(f.hardLinks, true);
    assert.equal(f.canStoreSymlink('/x'), true);
    assert.equal(f.rereadAfterUpload, false);
    assert.match(describeProbe(p).join('\n'), /writable: no \(EROFS\): nothing else could be tried/);
  });

  it('a failed rename over a file, or one that left the old content, is no', () => {
    const bad = interpretProbe(
      { ...allGood(mount('fuse')), renameOver: { ok: false, error: 'EEXIST' } },
      NOW,
    );
    assert.equal(bad.renameOver, false);
    assert.equal(bad.notes.renameOver, 'EEXIST');
    const stale = interpretProbe(
      { ...allGood(mount('fuse')), renameOver: { ok: true, sameContent: false } },
      NOW,
    );
    assert.equal(stale.renameOver, false);
  });
});

describe('probeIsStale and parseProbe', () => {
  const saved = interpretProbe(allGood(mount('fuse.sshfs', 'h:/', 40, '0:40')), NOW);
  it('the same mount is not stale; another id, device, point, type or source is, and so is an old probe', () => {
    const t = NOW.getTime() + 60_000;
    const same = mount('fuse.sshfs', 'h:/', 40, '0:40');
    const table: [string, MountIdentity | undefined, number, boolean][] = [
      ['the same mount a minute later', same, t, false],
      ['another mount id', mount('fuse.sshfs', 'h:/', 41, '0:40'), t, true],
      ['another device', mount('fuse.sshfs', 'h:/', 40, '0:41'), t, true],
      ['another type', mount('fuse.rclone', 'h:/', 40, '0:40'), t, true],
      ['another source', mount('fuse.sshfs', 'g:/', 40, '0:40'), t, true],
      ['another mount point', { ...same, mountPoint: '/x' }, t, true],
      ['no mount found now', undefined, t, true],
      ['the same mount a day later', same, NOW.getTime() + PROBE_MAX_AGE_MS, true],
      ['a probe from the future (clock set back)', same, NOW.getTime() - 1000, true],
    ];
    for (const [what, now, at, stale] of table) assert.equal(probeIsStale(saved, now, at), stale, what);
    assert.equal(probeIsStale(undefined, same, t), true);
  });
  it('a probe round-trips through JSON; anything else is no probe', () => {
    assert.deepEqual(parseProbe(JSON.stringify(saved)), saved);
    assert.equal(parseProbe(undefined), undefined);
    assert.equal(parseProbe('{'), undefined);
    assert.equal(parseProbe('{"version":2,"kind":"sshfs"}'), undefined);
  });
});

describe('mountLineOf', () => {
  const text = [
    '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '44 26 0:39 / /tmp/a\\040b rw,nosuid,nodev - fuse.rclone srv rw,user_id=0',
    '45 26 0:41 / /tmp/a\\040b rw,nosuid - fuse.sshfs h:/ rw,user_id=0,group_id=0',
  ].join('\n');
  it('takes the id, device and options of the top mount at that point', () => {
    assert.deepEqual(mountLineOf(text, '/tmp/a b'), {
      id: 45,
      dev: '0:41',
      options: 'rw,nosuid',
      superOptions: 'rw,user_id=0,group_id=0',
    });
    assert.equal(mountLineOf(text, '/tmp'), undefined);
  });
});
