// Moves: a path gone from one side and a path new on that side that are the same thing, made on the other
// side as one rename instead of a delete and a new copy. Pure: fed the same (archive, local, remote) tuples
// as the Planner, it keeps only what was created or deleted in this pass. docs/design.md, "Moves".
import { isUnchanged } from './changes.js';
import { baseName, isWithin, parentOf } from './paths.js';
import { wantsLocalCopy } from './decide.js';
import type { Action, ArchiveRecord, Entry, Policy, RelPath, Side } from './types.js';

/** A step that moves or copies on the other side. */
export type MoveStep = Extract<Action, { op: 'move' } | { op: 'copy' }>;
type Copy = Extract<Action, { op: 'copy' }>;

export interface MoveFinderOptions {
  /**
   * Local renames the kernel reported (paired move events): such a file is a move even if it was also
   * written since. Without a report, a file whose inode comes back at a new path is a move only with its
   * size and mtime unchanged: an inode number freed by a deletion is soon given to a new file.
   */
  reported?: (from: RelPath, to: RelPath) => boolean;
  /** At most this many new and gone paths are remembered per side; beyond it only folders are (memory). */
  limit?: number;
  /** The pair's policy: a placeholder moved to where a local copy is wanted is not carried along as is. */
  policy?: Policy;
}

/** What a side had at a path it no longer has (the archive's entry), and the other side's entry there. */
interface Gone {
  path: RelPath;
  last: Entry;
  other: Entry;
}

/** A path new on a side (no archive record, nothing on the other side). */
interface New {
  path: RelPath;
  entry: Entry;
}

/** A rename found on `by`, to be made on the other side. */
interface Found {
  by: Side;
  /** Where the archive has it. */
  source: RelPath;
  /** Where it is on the other side when the rename is made (inside a folder moved first, it moved too). */
  from: RelPath;
  to: RelPath;
  /** What `source` is on the other side, as scanned: the entry the rename there starts from. */
  entry: Entry;
}

const DEFAULT_LIMIT = 100_000;

/**
 * Feed it every tuple the Planner gets, in the same order; `finish()` gives the moves and copies to make
 * before the plan is applied, in the order they can be made: moves into a folder after the move that makes
 * it, a rename after the rename that frees its target, copies last (from where the moves took their
 * source). Rules (each pair used once, ambiguity means no move):
 * - local: a new file or folder with the inode of a path gone locally (a file also needs its size and
 *   mtime unchanged, unless the kernel reported the rename); a link whose text names the remote path of a
 *   gone placeholder is that placeholder moved, of a path still there a copy of it.
 * - remote (no stable inode numbers): a new file with the size and mtime of a file gone on the remote, the
 *   only such one (or the only one with the same name); a new folder whose files came from one gone folder,
 *   with the same names below it.
 * A path gone on one side is a move's source only while the other side still has it; a new path only while
 * the other side has nothing there. Moves implied by a moved folder are left out.
 */
export class MoveFinder {
  private readonly gone: Record<Side, Gone[]> = { local: [], remote: [] };
  private readonly fresh: Record<Side, New[]> = { local: [], remote: [] };
  private readonly links: { path: RelPath; of: RelPath }[] = [];
  /** Remote files gone from both sides, by path: a moved placeholder may name one the remote moved. */
  private readonly goneBoth = new Map<RelPath, Entry>();
  private skipping: RelPath | undefined;
  private readonly limit: number;
  private found: Found[] = [];

  constructor(private readonly opts: MoveFinderOptions = {}) {
    this.limit = opts.limit ?? DEFAULT_LIMIT;
  }

  push(path: RelPath, archive?: ArchiveRecord, local?: Entry, remote?: Entry): void {
    if (this.skipping !== undefined && isWithin(path, this.skipping)) return;
    this.skipping = undefined;
    if (local?.unreadable === true || remote?.unreadable === true) {
      this.skipping = path;
      return;
    }
    if (archive === undefined) {
      if (local !== undefined && remote === undefined) this.addNew('local', path, local);
      if (remote !== undefined && local === undefined) this.addNew('remote', path, remote);
      return;
    }
    if (local === undefined && remote !== undefined) this.addGone('local', path, archive.local, remote);
    if (remote === undefined && local !== undefined) this.addGone('remote', path, archive.remote, local);
    if (local === undefined && remote === undefined && archive.remote.kind === 'file') {
      if (this.goneBoth.size < this.limit) this.goneBoth.set(path, archive.remote);
    }
  }

  finish(): MoveStep[] {
    const copies: Copy[] = [];
    const onRemote = ordered(this.localMoves(copies));
    const onLocal = ordered(this.remoteMoves());
    this.found = [...onRemote, ...onLocal];
    // Copies last, from where the moves made on the remote put their sources: a copy's target folder
    // could otherwise stand where a move is to go.
    const copied = copies.map((c) => ({ ...c, from: through(onRemote, c.from) }));
    return [...this.found.map(toStep), ...copied];
  }

  /**
   * After finish(): the paths the moves carry along unchanged, as a plan made before them sees them: each
   * `gone` path's deletion on the other side, and each `created` path's copy to it, are moot once the
   * moves are made. What changed on the way (an edit, a deletion, a new file inside a moved folder) is in
   * neither set, and neither is a placeholder moved to where a local copy is wanted.
   */
  carried(): { gone: Set<RelPath>; created: Set<RelPath> } {
    const gone = new Set<RelPath>();
    const created = new Set<RelPath>();
    for (const side of ['local', 'remote'] as const) {
      const bySource = new Map(this.found.filter((f) => f.by === side).map((f) => [f.source, f]));
      if (bySource.size === 0) continue;
      const news = new Map<RelPath, Entry>(this.fresh[side].map((n) => [n.path, n.entry]));
      if (side === 'local') for (const l of this.links) news.set(l.path, linkEntry(l.of));
      for (const g of this.gone[side]) {
        const m = innermost(bySource, g.path);
        if (m === undefined) continue;
        const to = m.to + g.path.slice(m.source.length);
        const now = news.get(to);
        if (now === undefined || !sameThing(now, g, side)) continue;
        if (
          g.last.kind === 'placeholder' &&
          this.opts.policy &&
          wantsLocalCopy(this.opts.policy, to, g.other)
        )
          continue;
        gone.add(g.path);
        created.add(to);
      }
    }
    return { gone, created };
  }

  private addNew(side: Side, path: RelPath, entry: Entry): void {
    if (side === 'local' && entry.placeholderOf !== undefined) {
      if (this.links.length < this.limit) this.links.push({ path, of: entry.placeholderOf });
      return;
    }
    if (entry.kind !== 'file' && entry.kind !== 'dir') return;
    if (entry.kind === 'file' && this.fresh[side].length >= this.limit) return;
    this.fresh[side].push({ path, entry });
  }

  private addGone(side: Side, path: RelPath, last: Entry, other: Entry): void {
    // The other side must still hold the same kind of thing, which the rename there carries along.
    if (last.kind === 'symlink' || !holdSameKind(last, other)) return;
    if (last.kind !== 'dir' && this.gone[side].length >= this.limit) return;
    this.gone[side].push({ path, last, other });
  }

  /** Local moves by inode, and moved or copied placeholders (copies go to `copies`). */
  private localMoves(copies: Copy[]): Found[] {
    const used = new Set<RelPath>();
    const byIno = new Map<number, Gone[]>();
    const goneAt = new Map<RelPath, Gone>();
    for (const g of this.gone.local) {
      goneAt.set(g.path, g);
      if (g.last.kind === 'placeholder' || g.last.ino === 0) continue;
      const list = byIno.get(g.last.ino);
      if (list === undefined) byIno.set(g.last.ino, [g]);
      else list.push(g);
    }
    const found: Found[] = [];
    const move = (g: Gone, to: RelPath): void => {
      used.add(g.path);
      found.push({ by: 'local', source: g.path, from: g.path, to, entry: g.other });
    };
    const sameInode = (n: New): Gone | undefined =>
      byIno
        .get(n.entry.ino)
        ?.find((c) => !used.has(c.path) && c.last.kind === n.entry.kind && this.sameFile(c, n));
    // Files, then placeholders, then folders innermost first: what moved inside a folder vouches for it.
    for (const n of this.fresh.local) {
      const g = n.entry.kind === 'file' ? sameInode(n) : undefined;
      if (g !== undefined) move(g, n.path);
    }
    for (const link of this.links) {
      const g = goneAt.get(link.of);
      if (g !== undefined && g.last.kind === 'placeholder' && g.other.kind === 'file' && !used.has(g.path))
        move(g, link.path);
      else copies.push({ op: 'copy', from: this.movedOnRemote(link.of) ?? link.of, path: link.path });
    }
    for (const n of [...this.fresh.local].reverse()) {
      const g = n.entry.kind === 'dir' ? sameInode(n) : undefined;
      if (g !== undefined && this.folderMoved(g, n.path, found)) move(g, n.path);
    }
    return prune(found);
  }

  /**
   * Where the remote moved `of` when this side moved (or deleted) it too: the one new remote file with its
   * size and mtime (or the one such with its name). Then both names are kept.
   */
  private movedOnRemote(of: RelPath): RelPath | undefined {
    const last = this.goneBoth.get(of);
    if (last === undefined) return undefined;
    let cands = this.fresh.remote.filter(
      (n) => n.entry.kind === 'file' && stampOf(n.entry) === stampOf(last),
    );
    if (cands.length > 1) cands = cands.filter((n) => baseName(n.path) === baseName(of));
    return cands.length === 1 ? cands[0]?.path : undefined;
  }

  /**
   * A folder's inode number alone does not make it the same folder: `rm -r old; mkdir new` often gives
   * `new` the number `old` had. It moved if the kernel reported the rename, if something that was inside
   * it is inside the new one, or if it held nothing the archive knows of (then nothing can go astray).
   */
  private folderMoved(g: Gone, to: RelPath, found: Found[]): boolean {
    if (this.opts.reported?.(g.path, to) === true) return true;
    const inside = (p: RelPath): boolean => p !== g.path && isWithin(p, g.path);
    if (!this.gone.local.some((x) => inside(x.path))) return true;
    return found.some((f) => inside(f.source) && f.to !== to && isWithin(f.to, to));
  }

  /** A local file found again at a new path is the same file, not a new one given a freed inode number. */
  private sameFile(g: Gone, n: New): boolean {
    if (n.entry.kind !== 'file') return true;
    if (this.opts.reported?.(g.path, n.path) === true) return true;
    return n.entry.size === g.last.size && n.entry.mtime === g.last.mtime;
  }

  /** Remote moves by size and mtime, and folders by where their files came from. */
  private remoteMoves(): Found[] {
    const byStamp = new Map<string, Gone[]>();
    const goneDirs = new Map<RelPath, Gone>();
    for (const g of this.gone.remote) {
      if (g.last.kind === 'dir') goneDirs.set(g.path, g);
      else if (g.last.kind === 'file') pushTo(byStamp, stampOf(g.last), g);
    }
    const newDirs = new Set(this.fresh.remote.filter((n) => n.entry.kind === 'dir').map((n) => n.path));
    const used = new Set<RelPath>();
    const files: Found[] = [];
    for (const n of this.fresh.remote) {
      if (n.entry.kind !== 'file') continue;
      let cands = (byStamp.get(stampOf(n.entry)) ?? []).filter((g) => !used.has(g.path));
      if (cands.length > 1) cands = cands.filter((g) => baseName(g.path) === baseName(n.path));
      const g = cands.length === 1 ? cands[0] : undefined;
      if (g === undefined) continue;
      used.add(g.path);
      files.push({ by: 'remote', source: g.path, from: g.path, to: n.path, entry: g.other });
    }
    // Each file found moved votes for the folders it says were renamed: the parts before the longest
    // common tail of its two paths.
    const votes = new Map<string, { from: RelPath; to: RelPath; n: number }>();
    for (const f of files) {
      const [from, to] = stripCommonTail(f.from, f.to);
      if (from === f.from || !goneDirs.has(from) || !newDirs.has(to)) continue;
      const key = `${from}\0${to}`;
      const v = votes.get(key) ?? { from, to, n: 0 };
      v.n++;
      votes.set(key, v);
    }
    const dirs: Found[] = [];
    const taken = new Set<RelPath>();
    for (const v of [...votes.values()].sort((a, b) => b.n - a.n)) {
      if (taken.has(`f:${v.from}`) || taken.has(`t:${v.to}`)) continue;
      taken.add(`f:${v.from}`);
      taken.add(`t:${v.to}`);
      const g = goneDirs.get(v.from);
      if (g !== undefined)
        dirs.push({ by: 'remote', source: v.from, from: v.from, to: v.to, entry: g.other });
    }
    return prune([...dirs, ...files]);
  }
}

/** A file and a placeholder stand for the same thing (a file's content); a folder is a folder. */
export function holdSameKind(a: Entry, b: Entry): boolean {
  const kind = (e: Entry): Entry['kind'] => (e.kind === 'placeholder' ? 'file' : e.kind);
  return kind(a) === kind(b);
}

/** The entry of a link found naming the placeholder text of `of`. */
function linkEntry(of: RelPath): Entry {
  return { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0, placeholderOf: of };
}

/** Whether `now` is what `g` was on `side`, moved: the same entry, or a link to the placeholder of its old path. */
function sameThing(now: Entry, g: Gone, side: Side): boolean {
  if (g.last.kind === 'placeholder') return now.placeholderOf === g.path;
  return isUnchanged(now, g.last, side);
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function stampOf(e: Entry): string {
  return `${e.size}:${e.mtime}`;
}

/** The two paths without their longest common tail of names (always keeping one name each). */
export function stripCommonTail(a: RelPath, b: RelPath): [RelPath, RelPath] {
  const pa = a.split('/');
  const pb = b.split('/');
  while (pa.length > 1 && pb.length > 1 && pa.at(-1) === pb.at(-1)) {
    pa.pop();
    pb.pop();
  }
  return [pa.join('/'), pb.join('/')];
}

/** The move whose source is the deepest one at or above `path`. */
function innermost(bySource: Map<RelPath, Found>, path: RelPath): Found | undefined {
  for (let p = path; ; p = parentOf(p)) {
    const m = bySource.get(p);
    if (m !== undefined || p === '') return m;
  }
}

/** Drops the moves a moved folder already makes: the same name below it on both sides. */
function prune(found: Found[]): Found[] {
  const bySource = new Map(found.map((f) => [f.source, f]));
  return found.filter((m) => {
    const outer = m.source === '' ? undefined : innermost(bySource, parentOf(m.source));
    return outer === undefined || m.to !== outer.to + m.source.slice(outer.source.length);
  });
}

/** Where `source` (a path as the archive has it) is once `done` moves have been made, in order. */
function through(done: readonly Found[], source: RelPath): RelPath {
  let p = source;
  for (const m of done) if (isWithin(p, m.from)) p = m.to + p.slice(m.from.length);
  return p;
}

/**
 * The order moves on one side are made in, each with the `from` it has by then: shallower targets first
 * (the folder a move goes into may be another move's target), except that a move waits while a move still
 * to be made has its source at or below its target (a chain of renames `b -> c`, `a -> b`). Quadratic in
 * the number of moves at worst, never worse.
 */
function ordered(found: Found[]): Found[] {
  const pending = [...found].sort(
    (a, b) => depth(a.to) - depth(b.to) || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0),
  );
  // How many pending moves have their source at or below each path.
  const below = new Map<RelPath, number>();
  const count = (source: RelPath, by: number): void => {
    for (let p = source; ; p = parentOf(p)) {
      below.set(p, (below.get(p) ?? 0) + by);
      if (p === '') return;
    }
  };
  for (const m of pending) count(m.source, 1);
  const done: Found[] = [];
  while (pending.length > 0) {
    const blocked = (m: Found): boolean => (below.get(m.to) ?? 0) > (isWithin(m.source, m.to) ? 1 : 0);
    const i = Math.max(
      pending.findIndex((m) => !blocked(m)),
      0, // a cycle: the first is tried, and if it cannot be made the pass copies instead
    );
    const [m] = pending.splice(i, 1);
    if (m === undefined) break;
    count(m.source, -1);
    done.push({ ...m, from: through(done, m.source) });
  }
  return done;
}

function depth(p: RelPath): number {
  return p === '' ? 0 : p.split('/').length;
}

function toStep(f: Found): MoveStep {
  const side: Side = f.by === 'local' ? 'remote' : 'local';
  return { op: 'move', side, from: f.from, path: f.to, [side]: f.entry };
}
