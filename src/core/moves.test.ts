// The MoveFinder against docs/design.md's "Moves" rules: one row per rule, each a pass's tuples and the
// moves and copies it must find (or not).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaths } from './paths.js';
import { MoveFinder, stripCommonTail, type MoveStep } from './moves.js';
import type { ArchiveRecord, Entry, RelPath } from './types.js';
import { T1, T2, dir, file, placeholder, symlink } from '../../test/unit/entries.js';

/** One path of a pass: what the archive, the local scan and the remote scan have there. */
interface At {
  a?: [Entry, Entry];
  l?: Entry;
  r?: Entry;
}

const R = '/mnt/r';
const ph = (p: RelPath): Entry => placeholder(`${R}/${p}`);
/** A local link with the text of `of`'s placeholder, found at another path. */
const moved = (of: RelPath): Entry => ({ ...symlink(`${R}/${of}`), placeholderOf: of });
const lDir = (ino: number): Entry => ({ ...dir(), ino });
const rDir = dir();
const lFile = (ino: number, size = 10, mtime = T1 + 300): Entry => file(size, mtime, ino);
const rFile = (size = 10, mtime = T1): Entry => file(size, mtime);

function find(tree: Record<RelPath, At>, opts: ConstructorParameters<typeof MoveFinder>[0] = {}): MoveStep[] {
  const f = new MoveFinder(opts);
  for (const path of Object.keys(tree).sort(comparePaths)) {
    const { a, l, r } = tree[path] as At;
    const rec: ArchiveRecord | undefined = a && { path, local: a[0], remote: a[1] };
    f.push(path, rec, l, r);
  }
  return f.finish();
}

/** The steps as short strings: `move:remote a -> b`, `copy a -> c`. */
function brief(steps: MoveStep[]): string[] {
  return steps.map((s) =>
    s.op === 'move' ? `move:${s.side} ${s.from} -> ${s.path}` : `copy ${s.from} -> ${s.path}`,
  );
}

interface Row {
  desc: string;
  tree: Record<RelPath, At>;
  want: string[];
  reported?: [RelPath, RelPath][];
}

const rows: Row[] = [
  {
    desc: 'local file renamed (same inode, size, mtime): renamed on the remote',
    tree: { a: { a: [lFile(7), rFile()], r: rFile() }, b: { l: lFile(7) } },
    want: ['move:remote a -> b'],
  },
  {
    desc: 'local file renamed and written since: a new file given a freed inode number is not a move',
    tree: { a: { a: [lFile(7), rFile()], r: rFile() }, b: { l: lFile(7, 11, T2) } },
    want: [],
  },
  {
    desc: '...unless the kernel reported the rename: then it is a move, and the write an ordinary edit',
    tree: { a: { a: [lFile(7), rFile()], r: rFile() }, b: { l: lFile(7, 11, T2) } },
    reported: [['a', 'b']],
    want: ['move:remote a -> b'],
  },
  {
    desc: 'local folder renamed: one move for the folder, none for what is inside',
    tree: {
      album: { a: [lDir(5), rDir], r: rDir },
      'album/x.jpg': { a: [lFile(6), rFile()], r: rFile() },
      'album/sub': { a: [lDir(8), rDir], r: rDir },
      'album/sub/y.jpg': { a: [lFile(9), rFile()], r: rFile() },
      'album-2026': { l: lDir(5) },
      'album-2026/x.jpg': { l: lFile(6) },
      'album-2026/sub': { l: lDir(8) },
      'album-2026/sub/y.jpg': { l: lFile(9) },
    },
    want: ['move:remote album -> album-2026'],
  },
  {
    desc: 'a new folder given the inode number of a deleted one, holding none of its files: no move',
    tree: {
      old: { a: [lDir(5), rDir], r: rDir },
      'old/a': { a: [lFile(6), rFile()], r: rFile() },
      new: { l: lDir(5) },
      'new/b': { l: lFile(7) },
    },
    want: [],
  },
  {
    desc: '...unless the kernel reported the rename',
    tree: {
      old: { a: [lDir(5), rDir], r: rDir },
      'old/a': { a: [lFile(6), rFile()], r: rFile() },
      new: { l: lDir(5) },
      'new/b': { l: lFile(7) },
    },
    reported: [['old', 'new']],
    want: ['move:remote old -> new'],
  },
  {
    desc: 'an empty folder renamed: a move (nothing in it can go astray)',
    tree: { old: { a: [lDir(5), rDir], r: rDir }, new: { l: lDir(5) } },
    want: ['move:remote old -> new'],
  },
  {
    desc: 'folders inside a renamed folder vouch for it, however deep its files are',
    tree: {
      d: { a: [lDir(5), rDir], r: rDir },
      'd/e': { a: [lDir(6), rDir], r: rDir },
      'd/e/f': { a: [lDir(7), rDir], r: rDir },
      'd/e/f/x': { a: [lFile(8), rFile()], r: rFile() },
      n: { l: lDir(5) },
      'n/e': { l: lDir(6) },
      'n/e/f': { l: lDir(7) },
      'n/e/f/x': { l: lFile(8) },
    },
    want: ['move:remote d -> n'],
  },
  {
    desc: 'a folder renamed and a file renamed inside it: the folder first, then the file where it now is',
    tree: {
      d: { a: [lDir(5), rDir], r: rDir },
      'd/x': { a: [lFile(6), rFile()], r: rFile() },
      e: { l: lDir(5) },
      'e/y': { l: lFile(6) },
    },
    want: ['move:remote d -> e', 'move:remote e/x -> e/y'],
  },
  {
    desc: 'a file moved into a new folder: the move (the folder is made by it, or by the plan after)',
    tree: { x: { a: [lFile(6), rFile()], r: rFile() }, n: { l: lDir(40) }, 'n/x': { l: lFile(6) } },
    want: ['move:remote x -> n/x'],
  },
  {
    desc: 'lazy: a placeholder renamed (its link text names its old path): renamed on the remote',
    tree: { 'a.txt': { a: [ph('a.txt'), rFile()], r: rFile() }, 'b.txt': { l: moved('a.txt') } },
    want: ['move:remote a.txt -> b.txt'],
  },
  {
    desc: 'lazy: a folder of placeholders renamed: one move',
    tree: {
      proj: { a: [lDir(5), rDir], r: rDir },
      'proj/f': { a: [ph('proj/f'), rFile()], r: rFile() },
      project2: { l: lDir(5) },
      'project2/f': { l: moved('proj/f') },
    },
    want: ['move:remote proj -> project2'],
  },
  {
    desc: 'lazy: a placeholder copied (cp -P): copied on the remote, the original stays',
    tree: { a: { a: [ph('a'), rFile()], l: ph('a'), r: rFile() }, c: { l: moved('a') } },
    want: ['copy a -> c'],
  },
  {
    desc: 'lazy: a placeholder moved and its new name copied: the copy is made first, from where it still is',
    tree: { a: { a: [ph('a'), rFile()], r: rFile() }, b: { l: moved('a') }, c: { l: moved('a') } },
    want: ['copy a -> c', 'move:remote a -> b'],
  },
  {
    desc: 'lazy: a placeholder moved here while the remote moved its file elsewhere: copied from there',
    tree: { a: { a: [ph('a'), rFile()] }, b: { l: moved('a') }, c: { r: rFile() } },
    want: ['copy c -> b'],
  },
  {
    desc: 'a link into the remote naming a path that is nowhere: a copy attempt (the plan then holds it)',
    tree: { x: { l: moved('nothing') } },
    want: ['copy nothing -> x'],
  },
  {
    desc: 'remote file renamed (same size and mtime, the only one): renamed locally',
    tree: { a: { a: [lFile(7), rFile()], l: lFile(7) }, b: { r: rFile() } },
    want: ['move:local a -> b'],
  },
  {
    desc: 'remote: two gone files with the stamp of a new one: the one with the same name',
    tree: {
      'd1/a': { a: [lFile(7), rFile()], l: lFile(7) },
      'd2/b': { a: [lFile(8), rFile()], l: lFile(8) },
      'n/b': { r: rFile() },
    },
    want: ['move:local d2/b -> n/b'],
  },
  {
    desc: 'remote: two gone files with the stamp and no name to tell: no move (copied and deleted instead)',
    tree: {
      'd1/a': { a: [lFile(7), rFile()], l: lFile(7) },
      'd2/a': { a: [lFile(8), rFile()], l: lFile(8) },
      'n/b': { r: rFile() },
    },
    want: [],
  },
  {
    desc: 'remote: a new file of another size or mtime is not a move',
    tree: { a: { a: [lFile(7), rFile()], l: lFile(7) }, b: { r: rFile(11) }, c: { r: rFile(10, T2) } },
    want: [],
  },
  {
    desc: 'remote folder renamed: its files vote for it, one move',
    tree: {
      album: { a: [lDir(5), rDir], l: lDir(5) },
      'album/a': { a: [lFile(6, 1), rFile(1)], l: lFile(6, 1) },
      'album/b': { a: [lFile(7, 2), rFile(2)], l: lFile(7, 2) },
      'album/sub': { a: [lDir(8), rDir], l: lDir(8) },
      'album/sub/c': { a: [lFile(9, 3), rFile(3)], l: lFile(9, 3) },
      'album-2026': { r: rDir },
      'album-2026/a': { r: rFile(1) },
      'album-2026/b': { r: rFile(2) },
      'album-2026/sub': { r: rDir },
      'album-2026/sub/c': { r: rFile(3) },
    },
    want: ['move:local album -> album-2026'],
  },
  {
    desc: 'remote folder renamed, its files all alike: the names say it',
    tree: {
      d: { a: [lDir(5), rDir], l: lDir(5) },
      'd/a': { a: [lFile(6), rFile()], l: lFile(6) },
      'd/b': { a: [lFile(7), rFile()], l: lFile(7) },
      e: { r: rDir },
      'e/a': { r: rFile() },
      'e/b': { r: rFile() },
    },
    want: ['move:local d -> e'],
  },
  {
    desc: 'moved on one side, edited on the other: still a move (the rename carries the edit)',
    tree: { a: { a: [lFile(7), rFile()], r: rFile(99, T2) }, b: { l: lFile(7) } },
    want: ['move:remote a -> b'],
  },
  {
    desc: 'moved to two names on the two sides: no move (both names are kept by the plan)',
    tree: { a: { a: [lFile(7), rFile()] }, b: { l: lFile(7) }, c: { r: rFile() } },
    want: [],
  },
  {
    desc: 'moved where the other side made something new: no move (the plan merges the two)',
    tree: { a: { a: [lFile(7), rFile()], r: rFile() }, b: { l: lFile(7), r: rFile(3) } },
    want: [],
  },
  {
    desc: 'a folder moved where the other side now has a file at the old path: no move',
    tree: { d: { a: [lDir(5), rDir], r: rFile() }, e: { l: lDir(5) } },
    want: [],
  },
  {
    desc: 'deleted, and a new file of the same size elsewhere with another inode: no move',
    tree: { a: { a: [lFile(7), rFile()], r: rFile() }, b: { l: lFile(8) } },
    want: [],
  },
  {
    desc: 'nothing below an unreadable folder takes part',
    tree: {
      u: { a: [lDir(3), rDir], l: { ...lDir(3), unreadable: true }, r: rDir },
      'u/a': { a: [lFile(7), rFile()], r: rFile() },
      b: { l: lFile(7) },
    },
    want: [],
  },
];

describe('MoveFinder: the rules of docs/design.md "Moves"', () => {
  for (const row of rows) {
    it(row.desc, () => {
      const reported = row.reported;
      const opts = reported
        ? { reported: (f: RelPath, t: RelPath) => reported.some(([a, b]) => a === f && b === t) }
        : {};
      assert.deepEqual(brief(find(row.tree, opts)), row.want);
    });
  }

  it('carries what the scan saw at the source on the side it renames', () => {
    const [step] = find({ a: { a: [lFile(7), rFile()], r: rFile(99, T2) }, b: { l: lFile(7) } });
    assert.deepEqual(step, { op: 'move', side: 'remote', from: 'a', path: 'b', remote: rFile(99, T2) });
  });

  it('remembers at most `limit` new files per side (memory), and still finds folders', () => {
    const tree: Record<RelPath, At> = {
      d: { a: [lDir(5), rDir], r: rDir },
      e: { l: lDir(5) },
      x: { a: [lFile(7), rFile()], r: rFile() },
    };
    for (let i = 0; i < 5; i++) tree[`n${i}`] = { l: lFile(100 + i) };
    tree.y = { l: lFile(7) };
    const f = new MoveFinder({ limit: 3 });
    for (const path of Object.keys(tree).sort(comparePaths)) {
      const { a, l, r } = tree[path] as At;
      f.push(path, a && { path, local: a[0], remote: a[1] }, l, r);
    }
    assert.deepEqual(brief(f.finish()), ['move:remote d -> e']);
  });
});

describe('MoveFinder.carried: what a dry run hides once it has printed the moves', () => {
  it('is what each move carries along unchanged; an edit, a deletion or a new file inside is not', () => {
    const f = new MoveFinder();
    const tree: Record<RelPath, At> = {
      album: { a: [lDir(5), rDir], r: rDir },
      'album/same': { a: [lFile(6), rFile()], r: rFile() },
      'album/edited': { a: [lFile(7), rFile()], r: rFile() },
      'album/deleted': { a: [lFile(8), rFile()], r: rFile() },
      'album/ph': { a: [ph('album/ph'), rFile()], r: rFile() },
      'album-2026': { l: lDir(5) },
      'album-2026/same': { l: lFile(6) },
      'album-2026/edited': { l: lFile(7, 99, T2) },
      'album-2026/new': { l: lFile(9) },
      'album-2026/ph': { l: moved('album/ph') },
    };
    for (const path of Object.keys(tree).sort(comparePaths)) {
      const { a, l, r } = tree[path] as At;
      f.push(path, a && { path, local: a[0], remote: a[1] }, l, r);
    }
    assert.deepEqual(brief(f.finish()), ['move:remote album -> album-2026']);
    const { gone, created } = f.carried();
    assert.deepEqual([...gone].sort(), ['album', 'album/ph', 'album/same']);
    assert.deepEqual([...created].sort(), ['album-2026', 'album-2026/ph', 'album-2026/same']);
  });
});

describe('stripCommonTail', () => {
  it('leaves the parts before the longest common tail of names, one name at least', () => {
    assert.deepEqual(stripCommonTail('album/x/1.jpg', 'album-2026/x/1.jpg'), ['album', 'album-2026']);
    assert.deepEqual(stripCommonTail('a/1', 'b/2'), ['a/1', 'b/2']);
    assert.deepEqual(stripCommonTail('a', 'b'), ['a', 'b']);
    assert.deepEqual(stripCommonTail('x/a', 'a'), ['x/a', 'a']);
  });
});
