import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMountPoint, mountContaining, mountOf, parseMountinfo } from './mounts.js';
import { makeTmp, rmTmp } from '../../test/unit/fs.js';

const SAMPLE = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '60 27 0:50 / /mnt/my\\040share\\011tab\\012nl\\134bs rw,nosuid shared:30 master:2 - fuse.sshfs me@host:/srv\\040x rw,user_id=0',
  '61 27 0:51 / /mnt/\xff\xfe rw - nfs4 srv:/e rw',
  '62 27 0:52 /sub /mnt/a rw - tmpfs tmpfs rw',
  '63 27 0:53 / /mnt/ab rw - tmpfs tmpfs rw',
  '64 62 0:54 / /mnt/a rw - fuse.sshfs h:/ rw',
  'garbage line',
  '',
].join('\n');

describe('parseMountinfo', () => {
  const mounts = parseMountinfo(SAMPLE);

  it('reads mount point, root, type and source, decoding the kernel escapes as bytes', () => {
    assert.equal(mounts.length, 7);
    assert.deepEqual(mounts[2], {
      mountPoint: '/mnt/my share\ttab\nnl\\bs',
      root: '/',
      fsType: 'fuse.sshfs',
      source: 'me@host:/srv x',
      options: 'rw,nosuid',
    });
    assert.equal(mounts[3]?.mountPoint, '/mnt/\xff\xfe');
    assert.equal(mounts[4]?.root, '/sub');
    assert.equal(mounts[1]?.fsType, 'ext4');
  });

  it('finds the longest mount point containing a path, the last of stacked ones, not a name prefix', () => {
    assert.equal(mountContaining(mounts, '/home/x')?.mountPoint, '/');
    assert.equal(mountContaining(mounts, '/mnt/ab/c')?.mountPoint, '/mnt/ab');
    assert.equal(mountContaining(mounts, '/mnt/abc')?.mountPoint, '/');
    assert.equal(mountContaining(mounts, '/mnt/a/c')?.fsType, 'fuse.sshfs');
    assert.equal(mountContaining(mounts, '/mnt/my share\ttab\nnl\\bs/d')?.fsType, 'fuse.sshfs');
    assert.equal(mountContaining(mounts, '/mnt/\xff\xfe')?.fsType, 'nfs4');
    assert.equal(mountContaining([], '/x'), undefined);
  });
});

describe('mountOf and isMountPoint on this machine', () => {
  it('finds /proc as a mount of type proc, after realpath', async () => {
    assert.deepEqual(await mountOf('/proc/self'), { mountPoint: '/proc', fsType: 'proc' });
    assert.equal(await isMountPoint('/proc'), true);
    assert.equal(await isMountPoint('/proc/self/..'), true);
  });

  it('says a plain directory is not a mount point, and fails on a missing path', async () => {
    const dir = makeTmp('mounts');
    try {
      assert.equal(await isMountPoint(dir), false);
      assert.notEqual((await mountOf(dir))?.mountPoint, dir);
      await assert.rejects(mountOf(`${dir}/missing`), { code: 'ENOENT' });
    } finally {
      rmTmp(dir);
    }
  });
});
