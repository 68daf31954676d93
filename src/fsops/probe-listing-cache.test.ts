import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpretProbe, type RemoteKind } from './probe.js';
import { davfsDirRefresh, listingCacheOf, parseGoDuration } from './probe-listing-cache.js';
import { describeProbe } from './probe-advice.js';
import { NOW, allGood, mount } from '../../test/unit/probe.js';

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
