import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  factsOf,
  interpretProbe,
  kindOf,
  listingCacheOf,
  mtimePrecisionOf,
  parseGoDuration,
  davfsDirRefresh,
  MAX_SETTLE_S,
  parseProbe,
  PROBE_MAX_AGE_MS,
  probeIsStale,
  settleMsOf,
  staleViewRisk,
  symlinkLimit,
  type MountIdentity,
  type ProbeObservations,
  type RemoteKind,
} from './probe.js';
import { describeProbe, mountAdvice, summarizeProbe } from './probe-advice.js';
import { mountLineOf } from './probe-run.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const SET = 1_600_000_000_123.456;

function mount(fsType: string, source = 'x', id = 40, dev = '0:40'): MountIdentity {
  return { mountPoint: '/mnt/r', fsType, source, id, dev };
}

/** Everything works, as on a local disk. */
function allGood(m: MountIdentity): ProbeObservations {
  return {
    mount: m,
    scratch: { ok: true },
    hardLink: { ok: true },
    symlink: { ok: true, wanted: 'file', readBack: 'file' },
    absoluteSymlink: { ok: true, wanted: '/a', readBack: '/a' },
    parentSymlink: { ok: true, wanted: '../a', readBack: '../a' },
    renameOver: { ok: true, sameContent: true },
    fsync: { ok: true },
    mtimeSetMs: SET,
    mtimeReadMs: SET,
    mtimeAfterRenameMs: SET,
    modeSet: 0o640,
    modeAfterRename: 0o640,
    caseFold: { ok: true, foundOtherCase: false },
    maxNameLength: 255,
  };
}

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

describe('settleMsOf: the wait before a remote overwrite, on mounts that answer opens from their cache', () => {
  const probed = (m: MountIdentity, extra: Partial<ProbeObservations>) =>
    interpretProbe({ ...allGood(m), ...extra }, NOW);
  const rclone = (...flags: string[]) => ({ fuseArgv: ['rclone', 'mount', 'a:', '/mnt/r', ...flags] });
  const davfs = (text: string) => ({ davfsConfig: [{ file: 'davfs2.conf', text }] });
  const dav = mount('fuse', 'http://127.0.0.1/dav');
  const table: [string, MountIdentity, Partial<ProbeObservations>, number, boolean][] = [
    [
      'sshfs: the open asks the server',
      mount('fuse.sshfs'),
      { fuseArgv: ['sshfs', 'h:', '/mnt/r'] },
      0,
      false,
    ],
    ['nfs: the open revalidates', mount('nfs4'), { superOptions: 'rw,acdirmax=30' }, 0, false],
    ['smbnetfs', mount('fuse.smbnetfs'), {}, 0, false],
    ['rclone 2s + 1s', mount('fuse.rclone'), rclone('--dir-cache-time', '2s'), 3500, false],
    ['rclone 59s + 1s', mount('fuse.rclone'), rclone('--dir-cache-time', '59s'), 60_500, false],
    ["rclone's default 5m: too long to wait", mount('fuse.rclone'), rclone(), 0, true],
    ['davfs2 dir_refresh 2', dav, davfs('dir_refresh 2\n'), 2500, false],
    ["davfs2's default 60 s", dav, davfs(''), 60_500, false],
    ['davfs2 dir_refresh 600: too long to wait', dav, davfs('dir_refresh 600\n'), 0, true],
    [
      'rclone without caches',
      mount('fuse.rclone'),
      rclone('--dir-cache-time', '0', '--attr-timeout', '0'),
      0,
      false,
    ],
  ];
  for (const [what, m, extra, ms, risk] of table) {
    it(what, () => {
      const p = probed(m, extra);
      assert.equal(settleMsOf(p), ms);
      assert.equal(factsOf(p).settleMs, ms);
      assert.equal(staleViewRisk(p) !== undefined, risk);
    });
  }
  it('no probe yet: no wait', () => assert.equal(settleMsOf(undefined), 0));
  it('doctor says when a pass waits, and warns when it cannot', () => {
    const short = describeProbe(probed(mount('fuse.rclone'), rclone('--dir-cache-time', '2s'))).join('\n');
    assert.match(
      short,
      /^listings cached: up to 3 s .*a pass waits that long before it overwrites or deletes/m,
    );
    assert.doesNotMatch(short, /^warning:/m);
    const long = describeProbe(probed(mount('fuse.rclone'), rclone())).join('\n');
    assert.match(long, /^warning: the rclone mount answers from its own cache for up to 301 s/m);
    const sshfs = describeProbe(probed(mount('fuse.sshfs'), { fuseArgv: ['sshfs', 'h:', '/mnt/r'] })).join(
      '\n',
    );
    assert.doesNotMatch(sshfs, /a pass waits|^warning:/m);
  });
  it('the warning says what is at risk and where to look', () => {
    const p = probed(mount('fuse.rclone'), rclone());
    assert.equal(
      staleViewRisk(p),
      `the rclone mount answers from its own cache for up to 301 s (--dir-cache-time 5m (default) + --attr-timeout 1s (default)), longer than lazysync waits (${MAX_SETTLE_S} s): a server edit made that recently can be overwritten by a local edit, kept only as a remote version with no conflict reported; see \`lazysync doctor\` for the option that shortens it`,
    );
  });
});

describe('listingCacheOf', () => {
  const sshfs = (o: string): string[] => ['sshfs', '-f', '-o', o, 'h:/d', '/mnt/r'];
  const table: [string, RemoteKind, string[] | undefined, string, number | null, RegExp][] = [
    ['sshfs as users mount it', 'sshfs', ['sshfs', 'h:/d', '/mnt/r'], '', 20, /default/],
    ['sshfs cache=no', 'sshfs', sshfs('IdentityFile=k,cache=no'), '', 0, /cache=no/],
    ['sshfs dir_cache=no', 'sshfs', sshfs('dir_cache=no'), '', 0, /cache=no/],
    ['sshfs dcache_timeout', 'sshfs', sshfs('reconnect,dcache_timeout=2'), '', 2, /dcache_timeout=2/],
    ['sshfs -oX form', 'sshfs', ['sshfs', '-odcache_timeout=7', 'h:/', '/m'], '', 7, /=7/],
    ['sshfs unreadable command line', 'sshfs', undefined, '', 20, /could not be read/],
    ['rclone default', 'rclone', ['rclone', 'mount', 'a:', '/m'], '', 301, /5m \(default\) .*1s \(default\)/],
    ['rclone 2s', 'rclone', ['rclone', 'mount', 'a:', '/m', '--dir-cache-time', '2s'], '', 3, /2s/],
    ['rclone =1m30s', 'rclone', ['rclone', 'mount', '--dir-cache-time=1m30s'], '', 91, /1m30s/],
    [
      'rclone with its kernel cache set',
      'rclone',
      ['rclone', 'mount', '--dir-cache-time', '10s', '--attr-timeout=500ms'],
      '',
      10.5,
      /--attr-timeout 500ms/,
    ],
    ['rclone unreadable command line', 'rclone', undefined, '', 301, /could not be read/],
    ['nfs default', 'nfs', undefined, 'rw,vers=4.2', 60, /default/],
    ['nfs acdirmax', 'nfs', undefined, 'rw,acdirmin=3,acdirmax=9', 9, /acdirmax=9/],
    ['nfs noac', 'nfs', undefined, 'rw,noac', 0, /noac/],
    ['cifs actimeo', 'cifs', undefined, 'rw,actimeo=5', 5, /actimeo=5/],
    ['davfs2 with nothing set', 'davfs2', undefined, '', 60, /default dir_refresh/],
    ['a local disk', 'local-disk', undefined, '', 0, /local/],
  ];
  for (const [what, kind, argv, sup, seconds, how] of table) {
    it(what, () => {
      const c = listingCacheOf(kind, argv, sup);
      assert.equal(c.seconds, seconds);
      assert.match(c.how, how);
    });
  }
  it("davfs2's dir_refresh: the last one set, globally or in the mount point's section", () => {
    const system = {
      file: '/etc/davfs2/davfs2.conf',
      text: '# dir_refresh 5\ndir_refresh 30\nbuf_size 64\n',
    };
    const user = (text: string) => ({ file: '/home/u/.davfs2/davfs2.conf', text });
    const cases: [string, { file: string; text: string }[], number | undefined][] = [
      ['none set', [{ file: 'f', text: '# dir_refresh 5\n' }], undefined],
      ['the system file', [system], 30],
      ["the user's file after it", [system, user('dir_refresh 2  # short\n')], 2],
      ["this mount point's section", [system, user('[/mnt/dav]\ndir_refresh 4\n')], 4],
      ["another mount point's section", [system, user('[/mnt/other]\ndir_refresh 4\n')], 30],
      ['a name with a space', [user('[/mnt/my\\ dav]\ndir_refresh 7\n')], undefined],
    ];
    for (const [what, files, seconds] of cases) {
      assert.equal(davfsDirRefresh(files, '/mnt/dav')?.seconds, seconds, what);
    }
    assert.equal(davfsDirRefresh([user('[/mnt/my\\ dav]\ndir_refresh 7\n')], '/mnt/my dav')?.seconds, 7);
    const c = listingCacheOf('davfs2', undefined, '', [system, user('dir_refresh 2\n')], '/mnt/dav');
    assert.deepEqual(c, { seconds: 2, how: 'dir_refresh 2 in /home/u/.davfs2/davfs2.conf' });
  });
  it('Go durations as rclone takes them', () => {
    assert.equal(parseGoDuration('5m0s'), 300);
    assert.equal(parseGoDuration('1h'), 3600);
    assert.equal(parseGoDuration('300ms'), 0.3);
    assert.equal(parseGoDuration('12'), 12);
    assert.equal(parseGoDuration('soon'), undefined);
  });
  it('the probe reports it, and doctor says what it means', () => {
    const p = interpretProbe({ ...allGood(mount('fuse.sshfs')), fuseArgv: sshfs('dcache_timeout=5') }, NOW);
    assert.equal(p.listingCacheS, 5);
    assert.match(
      describeProbe(p).join('\n'),
      /^listings cached: up to 5 s \(dcache_timeout=5\): server changes reach the local folder that much later$/m,
    );
  });
});
