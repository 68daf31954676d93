// A stale view never destroys: sshfs mounted as users mount it (its caches on, about 20 s) shows a pass a
// view of the server that can be seconds old. What the server changed meanwhile must come out as the change
// it is (a conflict, a deletion to follow, a new file kept), never as a silent overwrite or a failed pass.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  conflictCopies,
  describeResult,
  entryAt,
  killAllCli,
  newPair,
  nowSec,
  readSpec,
  remove,
  syncEager,
  syncRaw,
  writeFileAt,
  type Remote,
} from '../fixture/index.js';
import { startRemote } from '../fixture/remote.js';

const T = nowSec();

/** sshfs's own defaults: attribute and listing caches on. */
const USERS_SSHFS: string[] = [];

/** What the mount shows at `rel` now: the size of a file, 'dir', or 'absent'. */
async function mountView(root: string, rel: string): Promise<number | 'dir' | 'absent'> {
  try {
    const st = await lstat(join(root, rel));
    return st.isDirectory() ? 'dir' : st.size;
  } catch {
    return 'absent';
  }
}

/** The text of the file at `rel`, '<dir>', '<symlink>' or '<absent>'. */
async function textAt(root: string, rel: string): Promise<string> {
  const e = await entryAt(root, rel);
  if (e === undefined) return '<absent>';
  return e.kind === 'file' ? e.content.toString('utf8') : `<${e.kind}>`;
}

describe('a stale view of the remote (sshfs with its default caches)', () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote({ sshfsOptions: USERS_SSHFS });
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('server-side edits, deletes, retypes and creations made just before a pass come out as changes, never overwritten', async () => {
    const p = await newPair(remote, 'stale', { catchUp: false });
    await writeFileAt(p.server, 'edit.txt', 'base', T - 600);
    await writeFileAt(p.server, 'gone.txt', 'base', T - 600);
    await writeFileAt(p.server, 'retype', 'base', T - 600);
    await syncEager(p); // its scan fills the mount's caches with this state

    // Another machine changes the server...
    await writeFileAt(p.server, 'edit.txt', 'SERVER EDIT', T + 5);
    await remove(p.server, 'gone.txt');
    await remove(p.server, 'retype');
    await mkdir(join(p.server, 'retype'));
    await writeFileAt(p.server, 'new.txt', 'made on the server', T - 60);
    // ...and this machine edits the same paths before the mount shows it.
    await writeFileAt(p.local, 'edit.txt', 'local edit', T);
    await writeFileAt(p.local, 'gone.txt', 'local edit of a file the server deleted', T);
    await writeFileAt(p.local, 'retype', 'local edit of a file the server made a folder', T);
    await writeFileAt(p.local, 'new.txt', 'made here', T);
    const staleBefore = (await mountView(p.remote, 'edit.txt')) === 4;

    const r = await syncRaw(p, ['-L', 'n']);
    assert.equal(r.code, 0, describeResult(r));

    // The server's edit keeps its name (it is newer); the local edit is a conflict copy on both sides.
    for (const root of [p.server, p.local]) {
      assert.equal(await textAt(root, 'edit.txt'), 'SERVER EDIT', root);
      assert.deepEqual([...(await conflictCopies(root, 'edit.txt')).values()], ['local edit'], root);
      // The edit of a deleted file wins and is restored on the server.
      assert.equal(await textAt(root, 'gone.txt'), 'local edit of a file the server deleted', root);
      // The server's new folder keeps the name; the local file is kept beside it.
      assert.equal(await textAt(root, 'retype'), '<dir>', root);
      assert.deepEqual(
        [...(await conflictCopies(root, 'retype')).values()],
        ['local edit of a file the server made a folder'],
        root,
      );
      // A file the mount did not list yet is not renamed over: both contents are kept.
      const copies = [...(await conflictCopies(root, 'new.txt')).values()];
      assert.deepEqual(
        [await textAt(root, 'new.txt'), ...copies].sort(),
        ['made here', 'made on the server'],
        `${root}: ${JSON.stringify(await readSpec(root))}`,
      );
    }
    if (staleBefore) assert.match(r.stderr + r.stdout, /conflict/i, 'the conflicts are reported');
  });

  it('a local delete never removes a server edit the mount did not show yet, and a vanished file is no failure', async () => {
    const p = await newPair(remote, 'vanished', { catchUp: false });
    await writeFileAt(p.server, 'a.txt', 'a', T - 600);
    await writeFileAt(p.server, 'b.txt', 'b', T - 600);
    await syncRaw(p, ['-L', 'y']); // placeholders; the mount now lists both
    await remove(p.server, 'a.txt');
    await writeFileAt(p.server, 'b.txt', 'b edited on the server', T + 5);
    await remove(p.local, 'b.txt'); // this machine deletes b while the server edits it

    const r = await syncRaw(p, ['-L', 'y']);
    assert.equal(r.code, 0, describeResult(r));
    // The server's edit of b wins over the local delete: b is back, as a placeholder of the edited file.
    assert.equal(await textAt(p.server, 'b.txt'), 'b edited on the server');
    assert.equal(
      await readFile(join(p.local, 'b.txt'), 'utf8'),
      'b edited on the server',
      'b.txt is back, read through its placeholder',
    );
    // a.txt's deletion shows once the mount's cache expires; until then its placeholder stays (not an error).
  });

  it('server edits the mount did not show yet are caught while big uploads write through the same mount', async () => {
    // sshfs keeps what an open learned from the server only if no data was written through the mount
    // meanwhile: the fresh checks must not overlap this pass's own writes (src/fsops/quiet.ts).
    const p = await newPair(remote, 'busy', { catchUp: false });
    const edited = ['e0.txt', 'e1.txt', 'e2.txt', 'e3.txt', 'e4.txt', 'e5.txt'];
    for (const f of edited) await writeFileAt(p.server, f, 'base', T - 600);
    await syncEager(p);
    for (const f of edited) await writeFileAt(p.server, f, `SERVER EDIT of ${f}`, T + 5);
    for (const big of ['a-big.bin', 'b-big.bin'])
      await writeFileAt(p.local, big, Buffer.alloc(64 << 20, 1), T);
    for (const f of edited) await writeFileAt(p.local, f, `local edit of ${f}`, T);

    const r = await syncRaw(p, ['-L', 'n']);
    assert.equal(r.code, 0, describeResult(r));
    for (const root of [p.server, p.local]) {
      for (const f of edited) {
        assert.equal(await textAt(root, f), `SERVER EDIT of ${f}`, `${root}/${f}\n${describeResult(r)}`);
        assert.deepEqual([...(await conflictCopies(root, f)).values()], [`local edit of ${f}`], root);
      }
    }
    for (const big of ['a-big.bin', 'b-big.bin'])
      assert.equal((await lstat(join(p.server, big))).size, 64 << 20);
  });
});
