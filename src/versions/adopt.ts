// Versions kept before the pair had a ledger of them: the local ones are taken into it once, so that
// retention applies to them too. The local versions folder belongs to this pair alone; the remote's may be
// shared with other pairs, so its older versions are never taken (and never pruned).
import fsp from 'node:fs/promises';
import { parseVersionName } from '../core/names.js';
import { joinPath } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { absOf } from '../fsops/entry.js';
import type { Archive } from '../store/archive.js';
import { readVersionsDir } from './folder.js';
import { stampTime } from './stamp.js';
import { treeBytes, versionInfo, versionsFolderOf } from './versions.js';

const ADOPTED = 'versions.adopted';

/** Records every version in the local versions folder, once per pair (a meta flag says it was done). */
export async function adoptLocalVersions(archive: Archive, localRoot: string): Promise<number> {
  if (archive.getMeta(ADOPTED) !== undefined) return 0;
  let n = 0;
  const visit = async (dir: RelPath): Promise<void> => {
    const vdir = versionsFolderOf(dir);
    for (const d of await readVersionsDir(localRoot, dir)) {
      const name = d.name.toString('latin1');
      const parsed = parseVersionName(name);
      if (parsed === undefined) {
        if (d.isDirectory()) await visit(joinPath(dir, name));
        continue;
      }
      const file = joinPath(vdir, name);
      const v = versionInfo(file, parsed, await fsp.lstat(absOf(localRoot, file)));
      const size = v.kind === 'dir' ? await treeBytes(absOf(localRoot, file)) : v.size;
      // The name has the second; the counter keeps same-second versions in their order.
      const made = (stampTime(v.stamp) ?? 0) + v.n;
      const { kind, mtime } = v;
      const path = joinPath(dir, parsed.original);
      archive.versions.add({ side: 'local', path, file, made, kind, size, mtime });
      n++;
    }
  };
  await visit('');
  archive.setMeta(ADOPTED, String(Date.now()));
  return n;
}
