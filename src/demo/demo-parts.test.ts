import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliCommand, readyText, shellWord, type ReadyFacts } from './instructions.js';
import { sshdConfig, sshfsArgs } from './loopback-remote.js';
import { missingPrerequisite, type MachineFacts } from './prerequisites.js';
import { sampleFiles } from './samples.js';

const everything: MachineFacts = {
  sshfs: true,
  sshd: true,
  sshKeygen: true,
  fusermount: true,
  devFuse: true,
  devFuseUsable: true,
};

describe('demo prerequisites', () => {
  it('says nothing when the machine has everything', () => {
    assert.equal(missingPrerequisite(everything), undefined);
  });

  it('names the apt packages to install when sshfs or sshd is missing', () => {
    const m = missingPrerequisite({ ...everything, sshfs: false, sshd: false });
    assert.match(m ?? '', /needs sshfs, openssh-server/);
    assert.match(m ?? '', /`apt-get install sshfs openssh-server`/);
    const keygen = missingPrerequisite({ ...everything, sshKeygen: false, fusermount: false });
    assert.match(keygen ?? '', /`apt-get install sshfs openssh-server openssh-client fuse3`/);
  });

  it('says /dev/fuse is missing, with the container flags that give it', () => {
    const m = missingPrerequisite({ ...everything, devFuse: false });
    assert.match(m ?? '', /\/dev\/fuse/);
    assert.match(m ?? '', /--device \/dev\/fuse/);
    const denied = missingPrerequisite({ ...everything, devFuseUsable: false });
    assert.match(denied ?? '', /read and write access to \/dev\/fuse/);
  });
});

describe('demo instructions', () => {
  const facts: ReadyFacts = {
    local: '/tmp/lazysync-demo-abc/local',
    server: '/tmp/lazysync-demo-abc/server',
    port: 40123,
    cli: 'lazysync',
    serverDelaySeconds: 10,
    keep: false,
    dir: '/tmp/lazysync-demo-abc',
  };

  it('gives a pasteable line for both folders and the commands to try', () => {
    const text = readyText(facts);
    assert.match(text, /^lazysync demo is ready: .*127\.0\.0\.1:40123/m);
    assert.match(text, /^ {2}L=\/tmp\/lazysync-demo-abc\/local S=\/tmp\/lazysync-demo-abc\/server$/m);
    assert.match(text, /cat \$L\/notes\/readme\.txt/);
    assert.match(text, /rm \$L\/notes\/todo\.md/);
    assert.match(text, /lazysync status --watch$/m);
    assert.match(text, /removes everything it made/);
    assert.doesNotMatch(text, /--socket/);
  });

  it('names the socket when status would not find it by default, and says where kept files are', () => {
    const text = readyText({ ...facts, socket: '/tmp/lazysync-demo-abc/run/daemon.sock', keep: true });
    assert.match(text, /status --watch --socket \/tmp\/lazysync-demo-abc\/run\/daemon\.sock$/m);
    assert.match(text, /files stay in \/tmp\/lazysync-demo-abc\./);
  });

  it('quotes folders with spaces so the pasted line and the commands still work in a shell', () => {
    const text = readyText({ ...facts, local: "/tmp/my demo/it's local", server: '/tmp/my demo/server' });
    const line = text.split('\n').find((l) => l.startsWith('  L='));
    assert.ok(line !== undefined);
    const r = spawnSync('sh', ['-c', `${line.trim()}; printf '%s|%s' "$L" "$S"`], { encoding: 'utf8' });
    assert.equal(r.stdout, "/tmp/my demo/it's local|/tmp/my demo/server");
    assert.match(text, /cat "\$L"\/notes\/readme\.txt/);
  });

  it('shellWord leaves plain words alone and single-quotes the rest', () => {
    assert.equal(shellWord('/a/b-c_d.e'), '/a/b-c_d.e');
    assert.equal(shellWord('a b'), `'a b'`);
    assert.equal(shellWord("it's"), `'it'\\''s'`);
  });

  it('uses `lazysync` when that is the program on PATH, else node with the script path', () => {
    assert.equal(
      cliCommand(
        '/usr/lib/node_modules/lazysync/bin/lazysync.js',
        '/usr/lib/node_modules/lazysync/bin/lazysync.js',
      ),
      'lazysync',
    );
    assert.equal(
      cliCommand('/src/lazysync/bin/lazysync.js', undefined),
      'node /src/lazysync/bin/lazysync.js',
    );
    assert.equal(
      cliCommand('/src/lazysync/bin/lazysync.js', '/usr/bin/lazysync'),
      'node /src/lazysync/bin/lazysync.js',
    );
  });
});

describe('demo remote', () => {
  it('sshd listens on loopback only and takes keys only', () => {
    const text = sshdConfig(40123, '/d/ssh');
    assert.match(text, /^Port 40123$/m);
    assert.match(text, /^ListenAddress 127\.0\.0\.1$/m);
    assert.match(text, /^PasswordAuthentication no$/m);
    assert.match(text, /^HostKey \/d\/ssh\/hostkey$/m);
  });

  it('sshfs runs in the foreground with our key and no prompts', () => {
    const args = sshfsArgs({
      port: 40123,
      user: 'me',
      identity: '/d/ssh/userkey',
      serverDir: '/d/server',
      mountDir: '/d/mnt',
      options: ['reconnect'],
    });
    assert.deepEqual(args.slice(0, 3), ['-f', '-p', '40123']);
    assert.match(args[4] ?? '', /^IdentityFile=\/d\/ssh\/userkey,.*BatchMode=yes,reconnect$/);
    assert.deepEqual(args.slice(5), ['me@127.0.0.1:/d/server', '/d/mnt']);
  });
});

describe('demo samples', () => {
  it('has text files, photos of a few MiB in all and a nested project, the same every time', () => {
    const files = sampleFiles();
    const photoBytes = files
      .filter((f) => f.path.startsWith('photos/'))
      .reduce((n, f) => n + f.data.length, 0);
    assert.ok(photoBytes > 3 * 1024 * 1024 && photoBytes < 8 * 1024 * 1024, `photos: ${photoBytes} bytes`);
    assert.ok(files.some((f) => f.path === 'notes/readme.txt'));
    assert.ok(files.some((f) => f.path.split('/').length >= 4 && f.path.startsWith('project/')));
    const again = sampleFiles();
    assert.deepEqual(
      again.map((f) => [f.path, f.data.toString('base64').length]),
      files.map((f) => [f.path, f.data.toString('base64').length]),
    );
    assert.ok(again.every((f, i) => f.data.equals(files[i]?.data ?? Buffer.alloc(0))));
  });
});
