// The invariants checked on the model after a pass: no data lost, both sides agree, the archive matches them.
import { isUnchanged } from '../../src/core/changes.js';
import { wantsLocalCopy } from '../../src/core/decide.js';
import type { RelPath, Side } from '../../src/core/types.js';
import { placeholderTarget, World, type Node, type Tree } from './world.js';

/** Every piece of data (file or user symlink) on both sides, by identity; with `versions`, those kept too. */
export function blobs(w: World, versions: boolean): Set<number> {
  const out = new Set<number>();
  const add = (nodes: Iterable<[RelPath, { kind: string; blob?: number }]>): void => {
    for (const [, n] of nodes) if (n.blob !== undefined && n.blob >= 0) out.add(n.blob);
  };
  for (const side of ['local', 'remote'] as const) {
    add(w.tree(side));
    if (versions) for (const v of w.versions[side]) add(v.nodes);
  }
  return out;
}

/** Data present before that is neither on a side nor in a version now. */
export function lost(before: Set<number>, w: World): number[] {
  const now = blobs(w, true);
  return [...before].filter((b) => !now.has(b));
}

/**
 * Paths where the sides disagree: same kind and same content (or link text) everywhere, except that a
 * placeholder of the remote file is agreement in lazy mode where no local copy is wanted.
 */
export function disagreements(w: World): string[] {
  const out: string[] = [];
  const paths = new Set([...w.local.keys(), ...w.remote.keys()]);
  for (const p of paths) {
    const l = w.local.get(p);
    const r = w.remote.get(p);
    if (l === undefined || r === undefined) {
      out.push(`${p}: only on the ${l === undefined ? 'remote' : 'local'} side`);
      continue;
    }
    if (l.kind === 'dir' && r.kind === 'dir') continue;
    if (l.kind === 'file' && r.kind === 'file' && l.content === r.content) continue;
    if (l.kind === 'symlink' && r.kind === 'file' && l.target === placeholderTarget(p)) {
      if (!wantsLocalCopy(w.policy, p, World.entryOf('remote', p, r))) continue;
      out.push(`${p}: a placeholder where a local copy is wanted`);
      continue;
    }
    if (l.kind === 'symlink' && r.kind === 'symlink' && l.target === r.target) continue;
    out.push(`${p}: local ${describe(l)}, remote ${describe(r)}`);
  }
  return out;
}

function describe(n: { kind: string; content?: string; target?: string }): string {
  return n.kind === 'file' ? `file '${n.content}'` : n.kind === 'symlink' ? `symlink -> ${n.target}` : 'dir';
}

/** Paths where the archive does not record what both sides now hold. */
export function archiveMismatches(w: World): string[] {
  const out: string[] = [];
  const paths = new Set([...w.local.keys(), ...w.remote.keys(), ...w.archive.keys()]);
  for (const p of paths) {
    const rec = w.archive.get(p);
    const l = w.peek('local', p);
    const r = w.peek('remote', p);
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
export function vanished(before: Tree, w: World, side: Side): RelPath[] {
  return [...before].filter(([p, n]) => n.kind !== 'dir' && w.node(side, p) === undefined).map(([p]) => p);
}

/** Data a user created or changed since the last sync: a node whose path is new to the archive or changed. */
export interface Edit {
  side: Side;
  path: RelPath;
  node: Node;
}

export function edits(w: World): Edit[] {
  const out: Edit[] = [];
  for (const side of ['local', 'remote'] as const) {
    for (const [path, node] of w.tree(side)) {
      if (node.kind === 'dir' || node.blob < 0) continue;
      const rec = w.archive.get(path);
      const e = World.entryOf(side, path, node);
      if (rec === undefined || !isUnchanged(e, rec[side], side)) out.push({ side, path, node });
    }
  }
  return out;
}

/**
 * True if `side` holds the edit: the same data (blob) at any path, or at the edit's path the same content
 * or link text (both sides made the same change).
 */
export function holds(w: World, side: Side, edit: Edit): boolean {
  const at = w.node(side, edit.path);
  const same = (n: Node | undefined): boolean =>
    (n?.kind === 'file' && edit.node.kind === 'file' && n.content === edit.node.content) ||
    (n?.kind === 'symlink' && edit.node.kind === 'symlink' && n.target === edit.node.target);
  if (same(at)) return true;
  for (const [, n] of w.tree(side))
    if (n.kind !== 'dir' && n.blob === (edit.node as { blob: number }).blob) return true;
  return false;
}
