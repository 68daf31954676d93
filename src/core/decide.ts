// The per-path decision: archive (common ancestor) + local + remote -> actions, as in docs/design.md's contract table.
import {
  isFilePlaceholder,
  isUnchanged,
  mtimeSeconds,
  onlyStampMoved,
  placeholderShows,
  rulesFor,
  sameContent,
} from './changes.js';
import { display } from './paths.js';
import type { Action, ArchiveRecord, Entry, Policy, RelPath, Side } from './types.js';

/** Whether a file of `size` bytes is within --max-size (there is no limit without one). */
function fitsMaxSize(policy: Policy, size: number): boolean {
  return policy.maxSize === undefined || size <= policy.maxSize;
}

/**
 * Should this remote file be a real local copy rather than a placeholder? Pinned paths always are; in
 * eager mode every file within --max-size is; in lazy mode no other.
 */
export function wantsLocalCopy(policy: Policy, path: RelPath, remote: Entry): boolean {
  return policy.isPinned?.(path) === true || (!policy.lazy && fitsMaxSize(policy, remote.size));
}

/**
 * Should a program's open of this placeholder hydrate it? Yes unless the file is over --max-size and not
 * pinned: then the program reads the remote file through the placeholder.
 */
export function hydratesOnOpen(policy: Policy, path: RelPath, remote: Entry): boolean {
  return policy.isPinned?.(path) === true || fitsMaxSize(policy, remote.size);
}

/**
 * Decides what to do with ONE path, ignoring its subtree (the Planner orders and guards subtrees).
 * Pure: the same inputs always give the same actions. Every action carries the scanned entries of both
 * sides (those that exist) so the executor can check them before it changes anything.
 * First sync (no archive) is a union and never removes data.
 */
export function decide(
  path: RelPath,
  archive: ArchiveRecord | undefined,
  local: Entry | undefined,
  remote: Entry | undefined,
  policy: Policy,
): Action[] {
  const d = new Decider(path, local, remote, policy);
  // A placeholder moved or copied here whose move was not made (or is being finished): never user data.
  if (local?.placeholderOf !== undefined) return d.linkIntoRemote(local.placeholderOf);

  if (archive === undefined) {
    // First sync of this path: nothing is known to be deleted, so whatever exists is kept.
    if (local === undefined && remote === undefined) return [];
    if (local === undefined) return d.createOnLocal();
    if (remote === undefined) return d.createOnRemote();
    return d.merge();
  }

  const localChanged = local === undefined || !isUnchanged(local, archive.local, 'local');
  const remoteChanged =
    remote === undefined || !isUnchanged(remote, archive.remote, 'remote', rulesFor(policy, 'remote'));

  if (!localChanged && !remoteChanged) {
    // Both sides exist and are as last synced. Only a placeholder that should be a local copy has work.
    if (local?.kind === 'placeholder' && remote?.kind === 'file' && d.wantLocal(remote)) {
      return [d.act({ op: 'download', path, remote })];
    }
    return [];
  }

  if (localChanged && !remoteChanged) {
    // The remote exists and is as last synced; the local side was created, modified, retyped or deleted.
    if (local === undefined) return [d.act({ op: 'remove', side: 'remote', path })];
    if (local.kind === 'placeholder') {
      // A placeholder holds no data: it never overrides the remote.
      return remote?.kind === 'file' ? d.keepPlaceholder(remote) : d.createOnLocal();
    }
    return d.createOnRemote();
  }

  if (!localChanged && remoteChanged) {
    // The local side exists and is as last synced (a placeholder or a clean copy); the remote changed.
    if (remote === undefined) return [d.act({ op: 'remove', side: 'local', path })];
    if (local?.kind === 'file' && onlyStampMoved(remote, archive.remote, policy)) {
      // The server may have stamped its own time on the same bytes: the executor compares before copying.
      return [d.act({ op: 'download', path, remote, unlessSame: true })];
    }
    return d.createOnLocal();
  }

  // Both sides changed since the last sync.
  if (local === undefined && remote === undefined) return [{ op: 'forget', path }];
  // Deleted on one side, modified on the other: the modification wins and is restored.
  if (local === undefined) return d.createOnLocal();
  if (remote === undefined) return d.createOnRemote();
  return d.merge();
}

/**
 * Both sides keep their content: `winner` keeps the name, the other becomes a conflict copy on both sides.
 * The remote file's content lands on the local side (at the name or as the copy) as the policy wants it.
 */
export function conflictStep(
  policy: Policy,
  path: RelPath,
  local: Entry,
  remote: Entry,
  winner: Side,
): Action {
  const localCopy = remote.kind === 'file' && wantsLocalCopy(policy, path, remote);
  return { op: 'conflict', path, local, remote, winner, ...(localCopy && { localCopy: true }) };
}

/**
 * The step that puts `entry`, found at `path` on side `from`, at `path` on the other side where nothing is
 * (a conflict's two names, after the loser was renamed aside). A remote file lands locally as a copy or a
 * placeholder, as the conflict step said.
 */
export function copyToOtherSide(
  path: RelPath,
  entry: Entry,
  from: Side,
  localCopy: boolean,
): Action | undefined {
  const on = from === 'local' ? { local: entry } : { remote: entry };
  const to: Side = from === 'local' ? 'remote' : 'local';
  switch (entry.kind) {
    case 'file':
      if (from === 'local') return { op: 'upload', path, local: entry };
      return localCopy ? { op: 'download', path, remote: entry } : { op: 'placeholder', path, remote: entry };
    case 'dir':
      return { op: 'mkdir', side: to, path, ...on };
    case 'symlink':
      return { op: 'symlink', side: to, path, target: entry.target ?? '', ...on };
    case 'placeholder':
      return undefined;
  }
}

/** The side whose entry is newer, in whole seconds; a tie goes to the local side. */
function newer(local: Entry, remote: Entry): Side {
  return mtimeSeconds(local) >= mtimeSeconds(remote) ? 'local' : 'remote';
}

/** The decision helpers for one path; `local`/`remote` are the scanned entries. */
class Decider {
  constructor(
    private readonly path: RelPath,
    private readonly local: Entry | undefined,
    private readonly remote: Entry | undefined,
    private readonly policy: Policy,
  ) {}

  wantLocal(remote: Entry): boolean {
    return wantsLocalCopy(this.policy, this.path, remote);
  }

  /** Adds the scanned entries to an action (omitting a side that is absent). */
  act<A extends Exclude<Action, { op: 'forget' }>>(a: A): A {
    return {
      ...a,
      ...(this.local !== undefined && { local: this.local }),
      ...(this.remote !== undefined && { remote: this.remote }),
    };
  }

  /** Makes the local side what the remote has. Requires a remote entry. */
  createOnLocal(): Action[] {
    const { path, local } = this;
    const remote = this.need(this.remote, 'remote');
    switch (remote.kind) {
      case 'file':
        if (local?.kind === 'placeholder') return this.keepPlaceholder(remote);
        return [
          this.act(
            this.wantLocal(remote) ? { op: 'download', path, remote } : { op: 'placeholder', path, remote },
          ),
        ];
      case 'dir':
        if (local?.kind === 'dir') return [this.act({ op: 'record', path, local, remote })];
        return [this.act({ op: 'mkdir', side: 'local', path })];
      case 'symlink':
      case 'placeholder': // the remote has no placeholders; a symlink is a symlink
        if (local?.kind === 'symlink' && local.target === remote.target) {
          return [this.act({ op: 'record', path, local, remote })];
        }
        return [this.act({ op: 'symlink', side: 'local', path, target: remote.target ?? '' })];
    }
  }

  /** Makes the remote side what the local side has. Requires a local entry. */
  createOnRemote(): Action[] {
    const { path, remote } = this;
    const local = this.need(this.local, 'local');
    switch (local.kind) {
      case 'file':
        return [this.act({ op: 'upload', path, local })];
      case 'dir':
        if (remote?.kind === 'dir') return [this.act({ op: 'record', path, local, remote })];
        return [this.act({ op: 'mkdir', side: 'remote', path })];
      case 'symlink':
        if (remote?.kind === 'symlink' && remote.target === local.target) {
          return [this.act({ op: 'record', path, local, remote })];
        }
        return [this.act({ op: 'symlink', side: 'remote', path, target: local.target ?? '' })];
      case 'placeholder':
        // Its remote file is gone (or never was): a placeholder holds no data, so it is just removed.
        return [this.act({ op: 'remove', side: 'local', path })];
    }
  }

  /**
   * Both sides exist and both changed since the last sync (or there is no archive): same content, or a
   * conflict. Two files that agree in size and mtime second are not trusted to be the same here: each side
   * was written on its own, and two writers can leave different bytes of one size within one second (or a
   * `cp -p` can keep both), so the bytes decide (a `check` conflict), as Unison's fingerprints do.
   */
  merge(): Action[] {
    const { path } = this;
    const local = this.need(this.local, 'local');
    const remote = this.need(this.remote, 'remote');
    // A placeholder next to a remote non-file shows nothing: it counts as absent and is replaced.
    if (local.kind === 'placeholder' && remote.kind !== 'file') return this.createOnLocal();
    if (sameContent(local, remote) === true) {
      if (local.kind === 'placeholder') return this.keepPlaceholder(remote);
      if (local.kind === 'file') {
        return [this.conflict(newer(local, remote), { check: true })];
      }
      return [this.act({ op: 'record', path, local, remote })];
    }
    // Different (or possibly different: the executor compares bytes before renaming anything).
    // A directory keeps its name against a non-directory, as in the Planner's replacements: what is planned
    // below it (its contents, pushed next) stays valid. Otherwise the newer keeps the name, compared in whole
    // seconds; a tie goes to the local side.
    const winner: Side =
      local.kind === 'dir' || (remote.kind !== 'dir' && newer(local, remote) === 'local')
        ? 'local'
        : 'remote';
    return [this.conflict(winner)];
  }

  private conflict(winner: Side, extra: { check?: true } = {}): Action {
    const local = this.need(this.local, 'local');
    const remote = this.need(this.remote, 'remote');
    return { ...conflictStep(this.policy, this.path, local, remote, winner), ...extra };
  }

  /**
   * A local link to the remote path of another path `of`. With a remote file at this path it becomes this
   * path's placeholder (or local copy), and anything else the remote has here replaces it; with nothing
   * here it names something that is not here: it is reported and left alone, never sent to the remote.
   */
  linkIntoRemote(of: RelPath): Action[] {
    const { path, remote } = this;
    const local = this.need(this.local, 'local');
    if (remote?.kind === 'file') {
      return [
        this.act(
          this.wantLocal(remote) ? { op: 'download', path, remote } : { op: 'placeholder', path, remote },
        ),
      ];
    }
    // It holds no data: where the remote has something else here, it gives way as a placeholder would.
    if (remote !== undefined) return this.createOnLocal();
    const reason =
      `${display(path)}: a link into the remote folder (to ${display(of)}) with nothing on the remote ` +
      'here: left alone, not uploaded';
    return [{ op: 'hold', path, local, reason }];
  }

  /**
   * A placeholder of a remote file: already in sync, unless a local copy is wanted, or it is a file
   * placeholder that no longer shows the remote file's size, time or mode (made again).
   */
  keepPlaceholder(remote: Entry): Action[] {
    const { path } = this;
    const local = this.need(this.local, 'local');
    if (this.wantLocal(remote)) return [this.act({ op: 'download', path, remote })];
    if (isFilePlaceholder(local) && !placeholderShows(local, remote)) {
      return [this.act({ op: 'placeholder', path, remote })];
    }
    return [this.act({ op: 'record', path, local, remote })];
  }

  private need(e: Entry | undefined, side: Side): Entry {
    if (e === undefined) throw new Error(`decide: no ${side} entry where one is required`);
    return e;
  }
}
