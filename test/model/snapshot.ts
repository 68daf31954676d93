// What the checks look at: everything both roots and their versions folders hold, read with plain
// readdir/lstat/readFile (not the scanner under test), and the archive's records.
import fs from 'node:fs';
import { STATE_DIR } from '../../src/core/paths.js';
import type { ArchiveRecord, Entry, Policy, RelPath, Side } from '../../src/core/types.js';
import { entryFromStats, symlinkEntry } from '../../src/fsops/entry.js';
import { VERSIONS_DIR } from '../../src/versions/versions.js';
import { absPath } from './user-fs.js';

/** What sits at a path, with the Entry lstat gives for it (the same Entry the scanner and executor make). */
export type Node =
  | { kind: 'file'; content: string; entry: Entry }
  | { kind: 'dir'; entry: Entry }
  | { kind: 'symlink' | 'placeholder'; target: string; entry: Entry }
  /** A local link into the remote root that names another path (`of`): a moved or copied placeholder. */
  | { kind: 'remote-link'; target: string; of: RelPath; entry: Entry };

export type Tree = Map<RelPath, Node>;

export interface Snapshot {
  policy: Policy;
  /** The remote root's path: local links into it are placeholders (or moved and copied ones). */
  remoteRoot: string;
  local: Tree;
  remote: Tree;
  /** What each side's versions folder holds, by path below it. */
  versions: Record<Side, Tree>;
  archive: Map<RelPath, ArchiveRecord>;
}

/**
 * Every path below `root` (not `root` itself; not its state folder), parents before children. On the local
 * side a symlink to `placeholderRoot/path` is a placeholder, and one to `placeholderRoot/other` a link into
 * the remote.
 */
export function readTree(root: string, side: Side, placeholderRoot?: string, skip = STATE_DIR): Tree {
  const out: Tree = new Map();
  const walk = (rel: RelPath): void => {
    const names = fs.readdirSync(absPath(root, rel)).sort();
    for (const name of names) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (p === skip) continue;
      const abs = absPath(root, p);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) {
        const target = fs.readlinkSync(abs, 'latin1');
        const link = symlinkEntry(target, p, side, placeholderRoot);
        const entry = { ...(entryFromStats(st, side, target) as Entry), ...link };
        if (link.placeholderOf !== undefined)
          out.set(p, { kind: 'remote-link', target, of: link.placeholderOf, entry });
        else out.set(p, { kind: link.kind === 'placeholder' ? 'placeholder' : 'symlink', target, entry });
        continue;
      }
      const entry = entryFromStats(st, side);
      if (entry === undefined) throw new Error(`${side} ${p}: a special file`);
      if (entry.kind === 'dir') {
        out.set(p, { kind: 'dir', entry });
        walk(p);
      } else out.set(p, { kind: 'file', content: fs.readFileSync(abs, 'latin1'), entry });
    }
  };
  walk('');
  return out;
}

/** What `root`'s versions folder holds (empty when there is none). */
export function readVersions(root: string, side: Side): Tree {
  const dir = absPath(root, VERSIONS_DIR);
  return fs.existsSync(dir) ? readTree(dir, side, undefined, '') : new Map();
}

/** The snapshot of a pair whose roots are `localRoot` and `remoteRoot`. */
export function snapshotOf(
  localRoot: string,
  remoteRoot: string,
  policy: Policy,
  records: Iterable<ArchiveRecord>,
): Snapshot {
  return {
    policy,
    remoteRoot,
    local: readTree(localRoot, 'local', remoteRoot),
    remote: readTree(remoteRoot, 'remote'),
    versions: { local: readVersions(localRoot, 'local'), remote: readVersions(remoteRoot, 'remote') },
    archive: new Map([...records].map((r) => [r.path, r])),
  };
}
