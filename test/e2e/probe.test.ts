// Knowing the mount: `lazysync doctor` on a real sshfs mount, the probe kept with a pair and shown by
// `status --json` (and redone after a remount), and an rclone mount, which has neither hard links nor
// symlinks: edits upload with versions kept by rename, and a local symlink stays local with one warning;
// davfs2, whose server stamps its own mtimes, and samba, which shows its own modes: neither is an edit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  killAllCli,
  linesOf,
  newPair,
  runCli,
  spawnCli,
  startRemote,
  syncRaw,
  waitFor,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { specOf, startDaemon } from '../fixture/daemon.js';
import { logLines } from '../fixture/run.js';

/** How long a change in the server folder may take to show through `remote`'s mount. */
function lag(remote: Remote): number {
  return 3 * remote.lagMs + 20_000;
}

/** A fresh pair whose remote folder the mount already shows (its directory cache may lag). */
async function visiblePair(remote: Remote, name: string): Promise<Pair> {
  const p = await newPair(remote, name);
  await waitFor(() => existsSync(p.remote), `the mount to show ${p.remote}`, lag(remote));
  return p;
}

describe('mount probe on sshfs', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('doctor -r R prints what the mount can do and the options to use, and leaves R as it was', async () => {
    const p = await visiblePair(remote, 'doctor');
    const r = await runCli(['doctor', '-r', p.remote]);
    assert.equal(r.code, 0, describeResult(r));
    const out = r.stdout;
    assert.match(out, /^mount: .*\(fuse\.sshfs, sshfs, source root@127\.0\.0\.1:/m, describeResult(r));
    assert.match(out, /^hard links: yes$/m);
    assert.match(out, /^symlinks: yes$/m);
    assert.match(out, /^rename over a file: yes$/m);
    // SFTP version 3 carries whole seconds.
    assert.match(out, /^mtime precision: 1 s \(whole seconds\)$/m);
    assert.match(out, /^modes set through the mount stick: yes$/m);
    assert.match(out, /^longest name: 255 bytes$/m);
    // Read from sshfs's own command line: the fixture's options, or sshfs's default of 20 s.
    assert.match(
      out,
      /^listings cached: (no \((cache=no)\)|up to \d+ s \((dcache_timeout=\d+|sshfs's default)\): .*)$/m,
    );
    assert.match(out, /^options to use for sshfs:$/m);
    assert.match(out, /^ {2}-o reconnect: .*ENOTCONN/m);
    assert.match(out, /^ {2}-o dcache_timeout=\d+ .*: /m);
    assert.equal(r.stderr, '');
    // Only a scratch folder was written, and removed again: not even the marker folder is left.
    assert.deepEqual(await readdir(p.server), []);
  });

  it('doctor refuses a remote that does not exist, with exit 2 and one line', async () => {
    const r = await runCli(['doctor', '-r', join(remote.mountDir, 'no-such-folder')]);
    assert.equal(r.code, 2, describeResult(r));
    assert.equal(r.stdout, '');
    assert.deepEqual(linesOf(r.stderr), [
      `lazysync: the remote folder ${join(remote.mountDir, 'no-such-folder')} does not exist`,
    ]);
  });

  it('status --json shows the probe of the first sync, and a new one after a remount', async () => {
    const p = await newPair(remote, 'status', { root: true });
    await writeFile(join(p.server, 'a.txt'), 'a');
    const daemon = await startDaemon({ pairs: [specOf(p, 'P', { interval: 2 })] });
    try {
      const first = await daemon.waitPair(
        'P',
        (s) => s.lastPass !== null && (s as { mount?: unknown }).mount != null,
        'a pass with the probe in the status',
        60_000,
      );
      const probe = (first as unknown as { mount: Record<string, unknown> }).mount;
      assert.equal(probe.kind, 'sshfs');
      assert.equal((probe.mount as { fsType: string }).fsType, 'fuse.sshfs');
      assert.equal(probe.writable, true);
      assert.equal(probe.hardLinks, true);
      assert.equal(probe.symlinks, true);
      assert.equal(probe.mtimePrecisionMs, 1000);
      assert.equal(probe.modesKept, true);

      // Unmounted (the pair waits, remote unavailable), then mounted again: another mount, probed again.
      await remote.unmount();
      await daemon.waitPair('P', (s) => s.state === 'remote-unavailable', 'remote-unavailable', 60_000);
      await remote.mount();
      const again = await daemon.waitPair(
        'P',
        (s) => {
          const m = (s as unknown as { mount: { probedAt: string; mount: { id: number } } | null }).mount;
          return s.state === 'idle' && m !== null && m.probedAt !== probe.probedAt;
        },
        'a new probe after the remount',
        60_000,
      );
      const reprobed = (again as unknown as { mount: { kind: string; mount: { id: number } } }).mount;
      assert.equal(reprobed.kind, 'sshfs');
      // The kernel may give the new mount the old id again: the probe is redone because the remote was away.
      assert.equal(typeof reprobed.mount.id, 'number');
      // The probe's scratch folders are gone from the remote.
      const state = await readdir(join(p.server, '.lazysync'));
      assert.deepEqual(
        state.filter((n) => n.startsWith('probe-')),
        [],
      );
      await daemon.stop();
    } finally {
      await daemon.dispose();
    }
  });
});

for (const kind of ['rclone-off', 'rclone-writes'] as const) {
  describe(`mount probe on ${kind} (no hard links, no symlinks)`, () => {
    let remote: Remote;
    before(async () => {
      remote = await startRemote(kind);
    });
    after(async () => {
      await killAllCli();
      await remote.stop();
    });

    it('an edit of an existing file uploads, with the old content kept as a version by rename', async () => {
      const p = await visiblePair(remote, 'edit');
      await writeFile(join(p.server, 'edit.txt'), 'first');
      await writeFile(join(p.server, 'gone.txt'), 'gone');
      await waitFor(() => existsSync(join(p.remote, 'gone.txt')), 'the mount to show the files', lag(remote));
      const first = await syncRaw(p, ['-L', 'n']);
      assert.equal(first.code, 0, describeResult(first));
      assert.equal(await readFile(join(p.local, 'edit.txt'), 'utf8'), 'first');

      await writeFile(join(p.local, 'edit.txt'), 'second, longer');
      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 0, describeResult(r));
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /unavailable|EIO/, describeResult(r));
      assert.match(r.stdout, /1 uploaded/);
      await waitServerText(remote, p, 'edit.txt', 'second, longer');
      const versionsDir = join(p.server, '.lazysync', 'versions');
      let versions: string[] = [];
      await waitFor(
        async () => (versions = await readdir(versionsDir).catch(() => [])).length > 0,
        "the old content in the server's versions folder",
        lag(remote),
      );
      assert.equal(versions.length, 1, versions.join(', '));
      assert.match(versions[0] ?? '', /^edit~\d{8}-\d{6}\.txt$/);
      assert.equal(
        await readFile(join(p.server, '.lazysync', 'versions', versions[0] ?? ''), 'utf8'),
        'first',
      );

      // Nothing left to do: what the upload recorded is what the mount shows (its modes are rclone's own).
      const again = await syncRaw(p, ['-L', 'n']);
      assert.equal(again.code, 0, describeResult(again));
      assert.match(again.stdout, /0 downloaded, 0 placeholders, 0 uploaded/, describeResult(again));
    });

    it('a local symlink stays local with one warning naming the limit; the rest syncs and the pass exits 0', async () => {
      const p = await visiblePair(remote, 'links');
      const first = await syncRaw(p, ['-L', 'n']);
      assert.equal(first.code, 0, describeResult(first));
      await symlink('/etc/hostname', join(p.local, 'link'));
      await mkdir(join(p.local, 'dir'));
      await writeFile(join(p.local, 'dir', 'new.txt'), 'new');

      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 0, describeResult(r));
      const warnings = linesOf(r.stderr).filter((l) => /cannot store symlinks/.test(l));
      assert.equal(warnings.length, 1, describeResult(r));
      assert.match(
        warnings[0] ?? '',
        /link: stays local only: the rclone mount cannot store symlinks \(EIO\)/,
      );
      assert.doesNotMatch(r.stderr, /unavailable|could not be synced/, describeResult(r));
      await waitServerText(remote, p, 'dir/new.txt', 'new');
      assert.equal(existsSync(join(p.server, 'link')), false);

      // The next pass says nothing more about it, and still exits 0.
      const next = await syncRaw(p, ['-L', 'n']);
      assert.equal(next.code, 0, describeResult(next));
      assert.doesNotMatch(next.stderr, /symlink/, describeResult(next));
      assert.match(next.stdout, /0 problems/);
    });
  });
}

/** Polls until the server's copy of `rel` (under the pair's server folder) holds `content`. */
async function waitServerText(remote: Remote, p: Pair, rel: string, content: string): Promise<void> {
  await waitFor(
    async () => (await readFile(join(p.server, rel), 'utf8').catch(() => '')) === content,
    `the server to hold ${JSON.stringify(content)} in ${rel}`,
    lag(remote),
  );
}

describe('mount probe on davfs2 (the server stamps its own mtimes)', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote('davfs2');
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it("after a remount the server's upload times are no edits: nothing is downloaded, and a local edit uploads without a conflict", async () => {
    const p = await visiblePair(remote, 'stamps');
    await writeFile(join(p.server, 'a.txt'), 'first');
    await waitFor(() => existsSync(join(p.remote, 'a.txt')), 'the mount to show a.txt', lag(remote));
    const first = await syncRaw(p, ['-L', 'n']);
    assert.equal(first.code, 0, describeResult(first));
    // An old mtime: the server's own stamp on the upload cannot fall in the same second.
    await writeFile(join(p.local, 'a.txt'), 'edited here');
    await utimes(join(p.local, 'a.txt'), 1_600_000_000, 1_600_000_000);
    const up = await syncRaw(p, ['-L', 'n']);
    assert.equal(up.code, 0, describeResult(up));
    assert.match(up.stdout, /1 uploaded/, describeResult(up));
    await waitServerText(remote, p, 'a.txt', 'edited here');

    await remote.unmount();
    await remote.mount();
    await waitFor(() => existsSync(join(p.remote, 'a.txt')), 'the mount to show a.txt again', lag(remote));
    const shown = (await stat(join(p.remote, 'a.txt'))).mtimeMs;
    assert.notEqual(shown, 1_600_000_000_000, 'davfs2 was expected to show the upload time after a remount');

    const after = await syncRaw(p, ['-L', 'n']);
    assert.equal(after.code, 0, describeResult(after));
    assert.match(after.stdout, /0 downloaded, .* 0 conflicts, 0 problems/, describeResult(after));
    assert.deepEqual(await readdir(join(p.local, '.lazysync', 'versions')).catch(() => []), []);

    await writeFile(join(p.local, 'a.txt'), 'edited here again');
    const again = await syncRaw(p, ['-L', 'n']);
    assert.equal(again.code, 0, describeResult(again));
    assert.match(again.stdout, /1 uploaded, .* 0 conflicts, 0 problems/, describeResult(again));
    await waitServerText(remote, p, 'a.txt', 'edited here again');
  });
});

describe('mount probe on smbnetfs (samba shows its own modes)', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote('smbnetfs');
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('an upload is not followed by a download of the same content, and the next edit uploads without a conflict', async () => {
    const p = await visiblePair(remote, 'modes');
    await writeFile(join(p.server, 'a.txt'), 'first');
    await waitFor(() => existsSync(join(p.remote, 'a.txt')), 'the mount to show a.txt', lag(remote));
    const first = await syncRaw(p, ['-L', 'n']);
    assert.equal(first.code, 0, describeResult(first));
    await writeFile(join(p.local, 'a.txt'), 'edited here', { mode: 0o644 });
    const up = await syncRaw(p, ['-L', 'n']);
    assert.equal(up.code, 0, describeResult(up));
    assert.match(up.stdout, /1 uploaded/, describeResult(up));
    await waitServerText(remote, p, 'a.txt', 'edited here');

    const next = await syncRaw(p, ['-L', 'n']);
    assert.equal(next.code, 0, describeResult(next));
    assert.match(next.stdout, /^synced: 0 downloaded, 0 placeholders, 0 uploaded/m, describeResult(next));
    assert.equal((await stat(join(p.local, 'a.txt'))).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(join(p.local, '.lazysync', 'versions')).catch(() => []), []);

    await writeFile(join(p.local, 'a.txt'), 'edited here again');
    const again = await syncRaw(p, ['-L', 'n']);
    assert.equal(again.code, 0, describeResult(again));
    assert.match(again.stdout, /1 uploaded, .* 0 conflicts, 0 problems/, describeResult(again));
    await waitServerText(remote, p, 'a.txt', 'edited here again');
  });
});

describe('a pass the remote fails part-way (sshfs killed mid-pass)', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('says what it applied before the remote went, not "nothing was changed"', async () => {
    const p = await newPair(remote, 'partway', { root: true });
    const first = await syncRaw(p, ['-L', 'n']);
    assert.equal(first.code, 0, describeResult(first));
    const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
    const mib = Buffer.alloc(1 << 20, 7);
    for (const n of names) await writeFile(join(p.local, n), mib);
    // 40 MiB at 2 MiB/s: about 20 s, so the mount is surely killed while the pass is still uploading.
    const log = join(remote.base, 'partway.log');
    const run = spawnCli([
      'sync',
      ...['-r', p.remote, '-l', p.local, '-L', 'n', '--bwlimit', '2M'],
      ...['--log-level', 'debug', '--log-file', log],
    ]);
    // The pass logs each upload once it has counted it: only then is one surely among what it applied
    // (a file renamed into place on the server may not be counted yet when the mount dies).
    await waitFor(
      () => logLines(log).some((l) => l.what === 'uploaded'),
      'the first upload counted by the pass',
      60_000,
    );
    await remote.killSshfs();
    const exit = await run.exited;
    const { stderr } = run.output();
    assert.equal(exit.code, 1, describeOutput(run.output()));
    const m = /remote unavailable: .*; before that: 0 downloaded, 0 placeholders, (\d+) uploaded, /.exec(
      stderr,
    );
    assert.ok(m !== null, `the message says what was applied\n${describeOutput(run.output())}`);
    assert.doesNotMatch(stderr, /nothing was changed/);
    const uploaded = Number(m[1]);
    const onServer = (await readdir(p.server)).filter((n) => names.includes(n)).length;
    // Each counted upload is on the server; one more may have landed as the mount died.
    assert.ok(uploaded >= 1 && uploaded <= onServer, `${uploaded} uploaded, ${onServer} on the server`);
    assert.ok(onServer < names.length, 'the pass was cut short');
  });
});
