// The invariants checked after a pass, on snapshots of the pair: no data lost, both sides agree, the
// archive matches them, no placeholder reaches the remote, moves and copies are what was there. A piece of data is a file's bytes or a user
// symlink's link text: every write carries its identity in them (scenario.ts); placeholders, and local
// links into the remote root (moved or copied placeholders), hold no data.
import { isUnchanged } from '../../src/core/changes.js';
import { wantsLocalCopy } from '../../src/core/decide.js';
import { isWithin, parentOf } from '../../src/core/paths.js';
import type { RelPath, Side } from '../../src/core/types.js';
import { brief } from './disk-world.js';
import type { Relocation } from './real-pair.js';
import type { Node, Snapshot, Tree } from './snapshot.js';

/** The identity of the data a node holds, or undefined for folders, placeholders and links into the remote. */
function dataOf(n: Node): string | undefined {
  if (n.kind === 'file') return `file ${n.content}`;
  if (n.kind === 'symlink') return `link ${n.target}`;
  return undefined;
}

/** Every piece of data on both sides and in both versions folders. */
export function blobs(s: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const tree of [s.local, s.remote, s.versions.local, s.versions.remote]) {
    for (const n of tree.values()) {
      const d = dataOf(n);
      if (d !== undefined) out.add(d);
    }
  }
  return out;
}

/** Data present before that is neither on a side nor in a version now. */
export function lost(before: Set<string>, now: Snapshot): string[] {
  const after = blobs(now);
  return [...before].filter((b) => !after.has(b));
}

/**
 * Local links into the remote root with nothing on the remote at their own path: held, never sent to the
 * remote. They hold no data: where the remote has something, a pass makes the link what the remote has
 * (a remote file's placeholder, a folder...), as it would a placeholder.
 */
export function heldLinks(s: Snapshot): Set<RelPath> {
  const out = new Set<RelPath>();
  for (const [p, n] of s.local) if (n.kind === 'remote-link' && !s.remote.has(p)) out.add(p);
  return out;
}

/**
 * Paths where the sides disagree: same kind and same content (or link text) everywhere, except that a
 * placeholder of the remote file is agreement in lazy mode where no local copy is wanted, and a held link
 * into the remote (heldLinks) stays local only.
 */
export function disagreements(s: Snapshot): string[] {
  const out: string[] = [];
  const held = heldLinks(s);
  for (const p of new Set([...s.local.keys(), ...s.remote.keys()])) {
    if (held.has(p)) continue;
    const l = s.local.get(p);
    const r = s.remote.get(p);
    if (l === undefined || r === undefined) {
      out.push(`${p}: only on the ${l === undefined ? 'remote' : 'local'} side`);
      continue;
    }
    if (l.kind === 'dir' && r.kind === 'dir') continue;
    if (l.kind === 'file' && r.kind === 'file' && l.content === r.content) continue;
    if (l.kind === 'placeholder' && r.kind === 'file') {
      if (!wantsLocalCopy(s.policy, p, r.entry)) continue;
      out.push(`${p}: a placeholder where a local copy is wanted`);
      continue;
    }
    if (l.kind === 'symlink' && r.kind === 'symlink' && l.target === r.target) continue;
    out.push(`${p}: local ${describe(l)}, remote ${describe(r)}`);
  }
  return out;
}

export function describe(n: Node): string {
  switch (n.kind) {
    case 'file':
      return `file '${n.content.replace(/\.+$/, '')}'`;
    case 'dir':
      return 'dir';
    case 'symlink':
      return `symlink -> ${n.target}`;
    case 'placeholder':
      return 'placeholder';
    case 'remote-link':
      return `link into the remote -> ${n.of}`;
  }
}

/** Paths where the archive does not record what both sides now hold (a held link is not recorded). */
export function archiveMismatches(s: Snapshot): string[] {
  const out: string[] = [];
  const held = heldLinks(s);
  for (const p of new Set([...s.local.keys(), ...s.remote.keys(), ...s.archive.keys()])) {
    if (held.has(p)) continue;
    const rec = s.archive.get(p);
    const l = s.local.get(p)?.entry;
    const r = s.remote.get(p)?.entry;
    if (rec === undefined) {
      out.push(`${p}: not in the archive`);
      continue;
    }
    if (l === undefined || r === undefined) {
      out.push(`${p}: in the archive but missing on the ${l === undefined ? 'local' : 'remote'} side`);
      continue;
    }
    if (!isUnchanged(l, rec.local, 'local') || !isUnchanged(r, rec.remote, 'remote')) {
      out.push(`${p}: archived ${rec.local.kind}/${rec.remote.kind} differs from ${l.kind}/${r.kind}`);
    }
  }
  return out;
}

/** Non-directories (placeholders included) present on `side` in `before` and gone from that path now. */
export function vanished(before: Tree, now: Snapshot, side: Side): RelPath[] {
  return [...before].filter(([p, n]) => n.kind !== 'dir' && now[side].get(p) === undefined).map(([p]) => p);
}

/** Data a user created or changed since the last sync, at the path where it is now. */
export interface Edit {
  side: Side;
  path: RelPath;
  node: Node;
}

/** The data on both sides (not in versions): after a full pass, what the pair has synced. */
export function liveData(s: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const tree of [s.local, s.remote]) {
    for (const n of tree.values()) {
      const d = dataOf(n);
      if (d !== undefined) out.add(d);
    }
  }
  return out;
}

/**
 * The data on each side that was on neither side at the last sync (`synced`, from liveData). Every write
 * carries its own identity, so this is what users wrote since; a file moved or renamed holds data the
 * pair had, at a new path, and is no edit.
 */
export function edits(s: Snapshot, synced: Set<string>): Edit[] {
  const out: Edit[] = [];
  for (const side of ['local', 'remote'] as const) {
    for (const [path, node] of s[side]) {
      const d = dataOf(node);
      if (d !== undefined && !synced.has(d)) out.push({ side, path, node });
    }
  }
  return out;
}

/** True if `side` holds the edit's data at any path (under its name or a conflict name). */
export function holds(s: Snapshot, side: Side, edit: Edit): boolean {
  const data = dataOf(edit.node);
  for (const n of s[side].values()) if (dataOf(n) === data) return true;
  return false;
}

/** Symlinks on the remote (or in its versions) whose link text points into the remote root: placeholders. */
export function placeholdersOnRemote(s: Snapshot): string[] {
  const into = (t: string): boolean => t === s.remoteRoot || t.startsWith(`${s.remoteRoot}/`);
  const out: string[] = [];
  for (const [where, tree] of [
    ['', s.remote],
    ['versions/', s.versions.remote],
  ] as const) {
    for (const [p, n] of tree)
      if (n.kind === 'symlink' && into(n.target)) out.push(`${where}${p} -> ${n.target}`);
  }
  return out;
}

/** A rename a pass made on `side`, from `from` to `to`. */
export interface Rename {
  side: Side;
  from: RelPath;
  to: RelPath;
}

/** The renames among the moves and copies a pass found: those it made, in order. */
export function renamesOf(moves: Relocation[]): Rename[] {
  return moves.flatMap(({ step, made }) =>
    made && step.op === 'move' ? [{ side: step.side, from: step.from, to: step.path }] : [],
  );
}

/**
 * Links into the remote held before a pass (heldLinks) that the pass did not leave alone: gone or changed
 * though the remote still has nothing at their path, or anything put at their path on the remote but a
 * copy of the remote file the link names, or what a rename on the remote carried there. `moves`: what the
 * pass found and made, in order; a link in a folder renamed locally moved with it, and one in a folder a
 * user moved locally that the archive knows (a placeholder, moved on the remote along with its file) is
 * not held.
 */
export function heldLinksLost(before: Snapshot, now: Snapshot, moves: Relocation[]): string[] {
  const out: string[] = [];
  const renames = renamesOf(moves);
  const copied = new Set(moves.flatMap(({ step, made }) => (made && step.op === 'copy' ? [step.path] : [])));
  for (const p of heldLinks(before)) {
    const was = before.local.get(p);
    if (was?.kind !== 'remote-link') continue;
    let at = p;
    let known = false;
    for (const r of renames) {
      if (r.side === 'local' && isWithin(at, r.from)) at = r.to + at.slice(r.from.length);
      if (r.side === 'remote' && isWithin(at, r.to))
        known ||= before.archive.has(r.from + at.slice(r.to.length));
    }
    if (known) continue;
    const where = `${p}${at === p ? '' : ` (moved to ${at})`}`;
    const there = now.remote.get(at);
    if (there !== undefined) {
      let origin = at;
      for (const r of [...renames].reverse())
        if (r.side === 'remote' && isWithin(origin, r.to)) origin = r.from + origin.slice(r.to.length);
      if (!copied.has(at) && !before.remote.has(origin))
        out.push(`${where}: ${describe(there)} put on the remote`);
      continue;
    }
    const is = now.local.get(at);
    if (is?.kind !== 'remote-link' || is.target !== was.target)
      out.push(`${where}: ${is === undefined ? 'gone' : describe(is)}`);
  }
  return out;
}

/** What is on a side, by path: a snapshot's tree as the moves and copies of a pass change it. */
export type Kinds = Map<RelPath, Node['kind']>;

export function kindsOf(t: Tree): Kinds {
  return new Map([...t].map(([p, n]) => [p, n.kind]));
}

/** Whether `path` on a side is taken, or something other than a folder is on its way: nothing goes there. */
export function occupied(t: Kinds, path: RelPath): boolean {
  if (t.has(path)) return true;
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) if (t.has(p) && t.get(p) !== 'dir') return true;
  return false;
}

/**
 * Moves and copies the pass found, against what was there when it looked (nothing changes between its scan
 * and its moves but the moves and copies themselves, in order): each is made unless something is already
 * where it goes on the side it is made on, and a copy only when the remote has a file to copy (a link into
 * the remote naming nothing there is held, not copied).
 */
export function relocationProblems(before: Snapshot, moves: Relocation[]): string[] {
  const out: string[] = [];
  const sides = { local: kindsOf(before.local), remote: kindsOf(before.remote) };
  for (const { step, made, why } of moves) {
    const t = sides[step.op === 'move' ? step.side : 'remote'];
    const source = step.op === 'move' || t.get(step.from) === 'file';
    if (made && !source) out.push(`${brief(step)} made with no remote file to copy`);
    if (!made && source && !occupied(t, step.path)) out.push(`${brief(step)} not made: ${why ?? ''}`);
    if (!made) continue;
    if (step.op === 'copy') t.set(step.path, 'file');
    else {
      for (const [p, kind] of [...t]) {
        if (!isWithin(p, step.from)) continue;
        t.delete(p);
        t.set(step.path + p.slice(step.from.length), kind);
      }
    }
  }
  return out;
}
