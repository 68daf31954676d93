// A pure in-memory model of one pair: both roots, the archive and the versions, with the executor's actions.
// Written from docs/design.md and src/engine/executor.ts (what each action checks, keeps and records); no I/O.
import { isUnchanged } from '../../src/core/changes.js';
import { wantsLocalCopy } from '../../src/core/decide.js';
import { conflictName } from '../../src/core/names.js';
import { baseName, comparePaths, joinPath, parentOf } from '../../src/core/paths.js';
import { Planner } from '../../src/core/planner.js';
import type { Action, ArchiveRecord, Entry, Policy, RelPath, Side } from '../../src/core/types.js';

/** The remote root as placeholder link texts name it: a local symlink `p -> /R/p` is a placeholder. */
export const RROOT = '/R';

/** The contents a file can hold; two have the same size, so only their bytes (or mtime) tell them apart. */
export const CONTENTS = ['a', 'bb', 'cc', 'ddd'] as const;
export type Content = (typeof CONTENTS)[number];

/**
 * What sits at a path. `blob` identifies data for the no-loss property: a copy keeps its source's blob, a
 * new write gets a new one. Placeholders hold no data: blob -1.
 */
export type Node =
  | { kind: 'file'; content: Content; blob: number; mtime: number; mode: number; ino: number }
  | { kind: 'dir' }
  | { kind: 'symlink'; target: string; blob: number };

export type Tree = Map<RelPath, Node>;

/** Something kept in a side's versions folder: the node at `path` and, for a directory, its subtree. */
export interface Version {
  path: RelPath;
  nodes: [RelPath, Node][];
}

/** A step the executor would have failed or skipped, or done in a way a correct plan never needs. */
export interface Anomaly {
  kind: 'changed' | 'io' | 'implicit-parent' | 'rmdir-not-empty' | 'through-symlink';
  action: string;
  detail: string;
}

export class ModelError extends Error {
  constructor(
    readonly code: 'changed' | 'io',
    message: string,
  ) {
    super(message);
  }
}

export const other = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

export function placeholderTarget(path: RelPath): string {
  return `${RROOT}/${path}`;
}

/** Every proper ancestor of `path`, outermost first. */
function ancestors(path: RelPath): RelPath[] {
  const out: RelPath[] = [];
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) out.unshift(p);
  return out;
}

/** `YYYYMMDD-HHMMSS` in UTC, as version and conflict names carry it. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

export interface PassResult {
  plan: Action[];
  /** How many actions ran (all, unless the pass was cut short). */
  applied: number;
  anomalies: Anomaly[];
}

export class World {
  readonly local: Tree = new Map();
  readonly remote: Tree = new Map();
  readonly archive = new Map<RelPath, ArchiveRecord>();
  readonly versions: Record<Side, Version[]> = { local: [], remote: [] };
  anomalies: Anomaly[] = [];
  private nextIno = 1000;
  private nextBlob = 1;
  /** The action being applied, for anomaly reports. */
  private current = '';

  constructor(
    readonly policy: Policy,
    /** The executor's clock (ms): version and conflict stamps. */
    readonly now: number,
  ) {}

  tree(side: Side): Tree {
    return side === 'local' ? this.local : this.remote;
  }

  newIno(): number {
    return this.nextIno++;
  }

  newBlob(): number {
    return this.nextBlob++;
  }

  /** The node at `path`, or undefined; every ancestor of a present path is a directory. */
  node(side: Side, path: RelPath): Node | undefined {
    return this.tree(side).get(path);
  }

  /** What lstat reports for a node at `path` on `side` (never following it). */
  static entryOf(side: Side, path: RelPath, n: Node): Entry {
    switch (n.kind) {
      case 'file':
        return { kind: 'file', size: n.content.length, mtime: n.mtime, mode: n.mode, ino: n.ino };
      case 'dir':
        return { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
      case 'symlink': {
        const kind = side === 'local' && n.target === placeholderTarget(path) ? 'placeholder' : 'symlink';
        return { kind, size: 0, mtime: 0, mode: 0, ino: 0, target: n.target };
      }
    }
  }

  /** The scanner's view: every path of one side, in scan order. */
  scan(side: Side): [RelPath, Entry][] {
    return [...this.tree(side)]
      .sort(([a], [b]) => comparePaths(a, b))
      .map(([p, n]) => [p, World.entryOf(side, p, n)]);
  }

  /** What is at `path` now, for users and checks (no ancestor checks: a present path's ancestors are dirs). */
  peek(side: Side, path: RelPath): Entry | undefined {
    const n = this.node(side, path);
    return n === undefined ? undefined : World.entryOf(side, path, n);
  }

  /** lstat of `path` as the executor does it: absent if an ancestor is missing or a file. */
  stat(side: Side, path: RelPath): Entry | undefined {
    this.resolveParents(side, path, false);
    const n = this.node(side, path);
    return n === undefined ? undefined : World.entryOf(side, path, n);
  }

  /**
   * Checks the ancestors of `path`: 'ok' if all are directories, 'missing' if one is absent. A file ancestor
   * is ENOTDIR ('notdir'). A symlink ancestor would be followed by the system call: an anomaly, and an error.
   */
  private resolveParents(side: Side, path: RelPath, forWrite: boolean): 'ok' | 'missing' | 'notdir' {
    for (const a of ancestors(path)) {
      const n = this.node(side, a);
      if (n === undefined) return 'missing';
      if (n.kind === 'symlink') {
        this.anomaly('through-symlink', `${side} ${path}: ancestor ${a} is a symlink`);
        throw new ModelError('io', `${side} ${path}: below the symlink ${a}`);
      }
      if (n.kind === 'file') {
        if (forWrite) throw new ModelError('io', `${side} ${path}: ${a} is not a directory`);
        return 'notdir';
      }
    }
    return 'ok';
  }

  private anomaly(kind: Anomaly['kind'], detail: string): void {
    this.anomalies.push({ kind, action: this.current, detail });
  }

  /** The whole subtree at `path` (itself first), removed from the side's tree. */
  private take(side: Side, path: RelPath): [RelPath, Node][] {
    const t = this.tree(side);
    const out: [RelPath, Node][] = [];
    for (const [p, n] of t) if (p === path || p.startsWith(`${path}/`)) out.push([p, n]);
    for (const [p] of out) t.delete(p);
    return out;
  }

  /** withParents: a write whose parent folder is missing creates the parents (ensureParents) and retries. */
  private withParents(side: Side, path: RelPath): void {
    if (this.resolveParents(side, path, true) === 'ok') return;
    this.anomaly('implicit-parent', `${side} ${path}: parent folder missing when written`);
    for (const a of ancestors(path))
      if (this.node(side, a) === undefined) this.tree(side).set(a, { kind: 'dir' });
  }

  /** rename(2) of a new non-directory over `path`: replaces a non-directory; a directory there is EISDIR. */
  private renameOver(side: Side, path: RelPath, n: Node): void {
    if (this.node(side, path)?.kind === 'dir') throw new ModelError('io', `${side} ${path}: EISDIR`);
    this.tree(side).set(path, n);
  }

  private expect(side: Side, path: RelPath, expected: Entry | undefined): void {
    const now = this.stat(side, path);
    const same =
      now === undefined || expected === undefined ? now === expected : isUnchanged(now, expected, side);
    if (!same) throw new ModelError('changed', `${side} ${path}: changed since it was scanned`);
  }

  private statOrFail(side: Side, path: RelPath): Entry {
    const e = this.stat(side, path);
    if (e === undefined) throw new ModelError('changed', `${side} ${path}: vanished`);
    return e;
  }

  /** keepVersion: the subtree goes to the side's versions; with leaveInPlace a file or link stays (hard link). */
  private keepVersion(side: Side, path: RelPath, leaveInPlace = false): void {
    const n = this.node(side, path);
    if (n === undefined) throw new ModelError('changed', `${side} ${path}: vanished`);
    if (leaveInPlace && n.kind !== 'dir') this.versions[side].push({ path, nodes: [[path, n]] });
    else this.versions[side].push({ path, nodes: this.take(side, path) });
  }

  private removeDir(side: Side, path: RelPath): void {
    const children = [...this.tree(side).keys()].filter((p) => p.startsWith(`${path}/`));
    if (children.length === 0) {
      this.tree(side).delete(path);
      return;
    }
    this.anomaly('rmdir-not-empty', `${side} ${path} still holds ${children.join(', ')}`);
    this.keepVersion(side, path);
  }

  /** Executor.clear: check, then keep real content in versions; a placeholder is left to be replaced. */
  private clear(
    side: Side,
    path: RelPath,
    expected: Entry | undefined,
    how: 'rename-over' | 'make-room',
  ): void {
    this.expect(side, path, expected);
    if (expected === undefined || expected.kind === 'placeholder') return;
    if (expected.kind === 'dir') return this.removeDir(side, path);
    this.keepVersion(side, path, how === 'rename-over');
  }

  private record(path: RelPath, local: Entry, remote: Entry): void {
    this.archive.set(path, { path, local, remote });
  }

  /** copyFileAtomic from `from` to the other side, over `existing`; returns the written entry. */
  private copy(from: Side, path: RelPath, source: Entry, existing: Entry | undefined): Entry {
    const to = other(from);
    this.resolveParents(from, path, false);
    const src = this.node(from, path);
    const matches =
      src?.kind === 'file' &&
      source.kind === 'file' &&
      src.content.length === source.size &&
      Math.floor(src.mtime / 1000) === Math.floor(source.mtime / 1000) &&
      (source.ino === 0 || src.ino === source.ino);
    if (!matches || src?.kind !== 'file')
      throw new ModelError('changed', `${from} ${path}: not the scanned file`);
    this.withParents(to, path);
    this.clear(to, path, existing, 'rename-over');
    const written: Node = {
      kind: 'file',
      content: src.content,
      blob: src.blob,
      mtime: to === 'remote' ? Math.floor(source.mtime / 1000) * 1000 : source.mtime,
      mode: source.mode,
      ino: to === 'local' ? this.newIno() : 0,
    };
    this.renameOver(to, path, written);
    return World.entryOf(to, path, written);
  }

  private download(path: RelPath, local: Entry | undefined, remote: Entry): void {
    this.record(path, this.copy('remote', path, remote, local), remote);
  }

  private upload(path: RelPath, local: Entry, remote: Entry | undefined): void {
    this.record(path, local, this.copy('local', path, local, remote));
  }

  private placeholder(path: RelPath, local: Entry | undefined, remote: Entry): void {
    this.withParents('local', path);
    this.clear('local', path, local, 'rename-over');
    this.renameOver('local', path, { kind: 'symlink', target: placeholderTarget(path), blob: -1 });
    this.record(path, this.statOrFail('local', path), remote);
  }

  private mkdir(side: Side, path: RelPath, local: Entry | undefined, remote: Entry | undefined): void {
    const existing = side === 'local' ? local : remote;
    if (existing?.kind !== 'dir') {
      this.clear(side, path, existing, 'make-room');
      // A placeholder has no content of its own: making room for a directory unlinks it (Executor.clear).
      if (existing?.kind === 'placeholder') this.tree(side).delete(path);
      this.withParents(side, path);
      const there = this.node(side, path);
      if (there !== undefined && there.kind !== 'dir') {
        throw new ModelError('io', `${side} ${path}: exists and is not a directory (${there.kind})`);
      }
      this.tree(side).set(path, { kind: 'dir' });
    }
    const otherEntry = (side === 'local' ? remote : local) ?? this.statOrFail(other(side), path);
    const here = this.statOrFail(side, path);
    if (side === 'local') this.record(path, here, otherEntry);
    else this.record(path, otherEntry, here);
  }

  private symlink(side: Side, path: RelPath, target: string, local?: Entry, remote?: Entry): void {
    const existing = side === 'local' ? local : remote;
    this.withParents(side, path);
    this.clear(side, path, existing, 'rename-over');
    // Link text is data: the copy keeps the identity of the link it copies when that link is still there.
    const src = this.node(other(side), path);
    const blob = src?.kind === 'symlink' && src.target === target ? src.blob : this.newBlob();
    this.renameOver(side, path, { kind: 'symlink', target, blob });
    const here = this.statOrFail(side, path);
    const there = (side === 'local' ? remote : local) ?? this.statOrFail(other(side), path);
    if (side === 'local') this.record(path, here, there);
    else this.record(path, there, here);
  }

  private remove(side: Side, path: RelPath, expected: Entry | undefined): void {
    if (expected !== undefined) {
      this.expect(side, path, expected);
      if (expected.kind === 'dir') this.removeDir(side, path);
      else if (expected.kind === 'placeholder') this.tree(side).delete(path);
      else this.keepVersion(side, path);
    }
    this.archive.delete(path);
  }

  private conflict(path: RelPath, local: Entry, remote: Entry, winner: Side): void {
    const l = this.node('local', path);
    const r = this.node('remote', path);
    if (l?.kind === 'file' && r?.kind === 'file' && local.kind === 'file' && remote.kind === 'file') {
      if (local.size === remote.size && l.content === r.content) return this.record(path, local, remote);
    }
    const loser = other(winner);
    this.expect(loser, path, loser === 'local' ? local : remote);
    const aside = this.freeConflictPath(path);
    const moved = this.take(loser, path).map(([p, n]): [RelPath, Node] => [aside + p.slice(path.length), n]);
    for (const [p, n] of moved) this.tree(loser).set(p, n);
    if (winner === 'local') this.createOnRemote(path, local);
    else this.createOnLocal(path, remote);
    const movedEntry = this.statOrFail(loser, aside);
    if (loser === 'local') this.createOnRemote(aside, movedEntry);
    else this.createOnLocal(aside, movedEntry);
  }

  private freeConflictPath(path: RelPath): RelPath {
    for (let n = 0; ; n++) {
      const candidate = joinPath(parentOf(path), conflictName(baseName(path), stamp(this.now), n));
      if (this.stat('local', candidate) === undefined && this.stat('remote', candidate) === undefined) {
        return candidate;
      }
    }
  }

  private createOnRemote(path: RelPath, l: Entry): void {
    if (l.kind === 'file') this.upload(path, l, undefined);
    else if (l.kind === 'dir') this.mkdir('remote', path, l, undefined);
    else if (l.kind === 'symlink') this.symlink('remote', path, l.target ?? '', l, undefined);
  }

  private createOnLocal(path: RelPath, r: Entry): void {
    if (r.kind === 'file') {
      if (wantsLocalCopy(this.policy, path, r)) this.download(path, undefined, r);
      else this.placeholder(path, undefined, r);
    } else if (r.kind === 'dir') this.mkdir('local', path, undefined, r);
    else if (r.kind === 'symlink') this.symlink('local', path, r.target ?? '', undefined, r);
  }

  /** Executor.apply for one action. Throws ModelError where the executor would throw. */
  apply(a: Action): void {
    switch (a.op) {
      case 'download':
        return this.download(a.path, a.local, a.remote);
      case 'placeholder':
        return this.placeholder(a.path, a.local, a.remote);
      case 'upload':
        return this.upload(a.path, a.local, a.remote);
      case 'mkdir':
        return this.mkdir(a.side, a.path, a.local, a.remote);
      case 'symlink':
        return this.symlink(a.side, a.path, a.target, a.local, a.remote);
      case 'remove':
        return this.remove(a.side, a.path, a.side === 'local' ? a.local : a.remote);
      case 'conflict':
        return this.conflict(a.path, a.local, a.remote, a.winner);
      case 'record':
        return this.record(a.path, a.local, a.remote);
      case 'forget':
        this.archive.delete(a.path);
        return;
    }
  }

  /** The triples of one pass, in scan order, as pair.ts's mergeSorted joins them. */
  triples(): { path: RelPath; archive?: ArchiveRecord; local?: Entry; remote?: Entry }[] {
    const local = new Map(this.scan('local'));
    const remote = new Map(this.scan('remote'));
    const paths = new Set<RelPath>([...local.keys(), ...remote.keys(), ...this.archive.keys()]);
    return [...paths].sort(comparePaths).map((path) => ({
      path,
      archive: this.archive.get(path),
      local: local.get(path),
      remote: remote.get(path),
    }));
  }

  /** The plan a pass makes now: triples fed to the Planner, then finish(). */
  plan(): Action[] {
    const planner = new Planner(this.policy);
    const out: Action[] = [];
    for (const t of this.triples()) out.push(...planner.push(t.path, t.archive, t.local, t.remote));
    out.push(...planner.finish());
    return out;
  }

  /**
   * One pass: plan, then apply the first `limit` actions (all by default) in order, as pair.ts does; an
   * action that throws is skipped (a problem, retried next pass) and reported as an anomaly.
   */
  pass(limit = Infinity): PassResult {
    const plan = this.plan();
    this.anomalies = [];
    let applied = 0;
    for (const a of plan) {
      if (applied >= limit) break;
      applied++;
      this.current = `${a.op}${'side' in a ? `:${a.side}` : ''} ${a.path}`;
      try {
        this.apply(a);
      } catch (e) {
        if (!(e instanceof ModelError)) throw e;
        this.anomaly(e.code, e.message);
      }
    }
    this.current = '';
    return { plan, applied, anomalies: this.anomalies };
  }

  // ---- What users and the on-demand service do between passes ----

  /** Makes every ancestor of `path` a directory (mkdir -p), replacing non-directories when `force`. */
  private userParents(side: Side, path: RelPath, force: boolean): boolean {
    for (const a of ancestors(path)) {
      const n = this.node(side, a);
      if (n?.kind === 'dir') continue;
      if (n !== undefined) {
        if (!force) return false;
        this.take(side, a);
      }
      this.tree(side).set(a, { kind: 'dir' });
    }
    return true;
  }

  /** A program writes `content` to a file; `atomic` is an editor's save (temp + rename: a new inode). */
  userWrite(
    side: Side,
    path: RelPath,
    content: Content,
    second: number,
    sub: number,
    atomic: boolean,
    force: boolean,
  ): void {
    if (!this.userParents(side, path, force)) return;
    const n = this.node(side, path);
    if (n?.kind === 'dir') {
      if (!force) return;
      this.take(side, path);
    }
    // The content is encoded in the mtime's second, so two different contents never share (size, second):
    // the quick check (size + mtime second) is trusted by design, so the model does not fool it.
    const mtime =
      (second * CONTENTS.length + CONTENTS.indexOf(content)) * 1000 + (side === 'local' ? sub : 0);
    const inPlace = !atomic && n?.kind === 'file';
    const ino = side === 'remote' ? 0 : inPlace ? n.ino : this.newIno();
    this.tree(side).set(path, { kind: 'file', content, blob: this.newBlob(), mtime, mode: 0o644, ino });
  }

  userMkdir(side: Side, path: RelPath, force: boolean): void {
    if (!this.userParents(side, path, force)) return;
    const n = this.node(side, path);
    if (n?.kind === 'dir') return;
    if (n !== undefined) {
      if (!force) return;
      this.take(side, path);
    }
    this.tree(side).set(path, { kind: 'dir' });
  }

  userSymlink(side: Side, path: RelPath, target: string, force: boolean): void {
    if (!this.userParents(side, path, force)) return;
    if (this.node(side, path)?.kind === 'dir') {
      if (!force) return;
      this.take(side, path);
    }
    this.tree(side).set(path, { kind: 'symlink', target, blob: this.newBlob() });
  }

  userRemove(side: Side, path: RelPath): void {
    this.take(side, path);
  }

  /**
   * `cp -p` of a same-size file over a synced local file: new content and inode, the old size and mtime. Only
   * the inode tells the change (the remote has no stable inodes, so this is a local-only operation).
   */
  userReplaceKeepingMtime(path: RelPath): void {
    const n = this.node('local', path);
    if (n?.kind !== 'file' || !this.archive.has(path)) return;
    const twin = CONTENTS.find((c) => c !== n.content && c.length === n.content.length);
    if (twin === undefined) return;
    this.tree('local').set(path, { ...n, content: twin, blob: this.newBlob(), ino: this.newIno() });
  }

  userChmod(side: Side, path: RelPath): void {
    const n = this.node(side, path);
    if (n?.kind === 'file') n.mode = n.mode === 0o644 ? 0o600 : 0o644;
  }

  /** A program opens a placeholder: the on-demand service hydrates it (Executor.hydrate). */
  hydrate(path: RelPath): void {
    const l = this.peek('local', path);
    const r = this.peek('remote', path);
    if (l?.kind !== 'placeholder' || r?.kind !== 'file') return;
    this.current = `hydrate ${path}`;
    try {
      this.download(path, l, r);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
    }
    this.current = '';
  }

  /** `lazysync free`: a clean local copy (both sides as archived) becomes a placeholder, without a version. */
  free(path: RelPath): void {
    const l = this.peek('local', path);
    const r = this.peek('remote', path);
    const rec = this.archive.get(path);
    if (l?.kind !== 'file' || r?.kind !== 'file' || rec === undefined) return;
    if (!isUnchanged(l, rec.local, 'local') || !isUnchanged(r, rec.remote, 'remote')) return;
    this.tree('local').set(path, { kind: 'symlink', target: placeholderTarget(path), blob: -1 });
    this.record(path, this.peek('local', path) as Entry, r);
  }
}
