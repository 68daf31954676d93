// The invariants checked after a pass, on snapshots of the pair: no data lost, both sides agree, the
// archive matches them. A piece of data is a file's bytes or a user symlink's link text: every write
// carries its identity in them (scenario.ts); placeholders hold no data.
import { isUnchanged } from '../../src/core/changes.js';
import { wantsLocalCopy } from '../../src/core/decide.js';
import type { RelPath, Side } from '../../src/core/types.js';
import type { Node, Snapshot, Tree } from './snapshot.js';

/** The identity of the data a node holds, or undefined for folders and placeholders. */
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
 * Paths where the sides disagree: same kind and same content (or link text) everywhere, except that a
 * placeholder of the remote file is agreement in lazy mode where no local copy is wanted.
 */
export function disagreements(s: Snapshot): string[] {
  const out: string[] = [];
  for (const p of new Set([...s.local.keys(), ...s.remote.keys()])) {
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
  }
}

/** Paths where the archive does not record what both sides now hold. */
export function archiveMismatches(s: Snapshot): string[] {
  const out: string[] = [];
  for (const p of new Set([...s.local.keys(), ...s.remote.keys(), ...s.archive.keys()])) {
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

/** Data a user created or changed since the last sync: a node whose path is new to the archive or changed. */
export interface Edit {
  side: Side;
  path: RelPath;
  node: Node;
}

export function edits(s: Snapshot): Edit[] {
  const out: Edit[] = [];
  for (const side of ['local', 'remote'] as const) {
    for (const [path, node] of s[side]) {
      if (dataOf(node) === undefined) continue;
      const rec = s.archive.get(path);
      if (rec === undefined || !isUnchanged(node.entry, rec[side], side)) out.push({ side, path, node });
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
