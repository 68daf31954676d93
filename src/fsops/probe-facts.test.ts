import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpretProbe, type MountIdentity, type ProbeObservations } from './probe.js';
import { factsOf, MAX_SETTLE_S, settleMsOf, staleViewRisk } from './probe-facts.js';
import { describeProbe } from './probe-advice.js';
import { NOW, allGood, mount } from '../../test/unit/probe.js';

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
