// The two sides of a soak pair and how the soak looks at them: L is the local folder, R the remote folder
// as another machine sees it (the server's own folder, not the mount). A placeholder on L stands for the
// remote file it points to.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pair } from '../../test/fixture/pair.js';

export type Side = 'L' | 'R';
export const other = (s: Side): Side => (s === 'L' ? 'R' : 'L');

export interface SoakPair {
  name: string;
  lazy: boolean;
  p: Pair; // p.server is side R as another machine sees it, p.local is side L
}
export const root = (sp: SoakPair, side: Side) => (side === 'L' ? sp.p.local : sp.p.server);

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export type Kind = 'file' | 'dir' | 'symlink' | 'placeholder';
export interface Entry {
  rel: string;
  kind: Kind;
}
/** The prefix of the driver's own temp files: an editor-style save writes one, then renames it over the file. */
export const DRIVER_TEMP = '.soak-tmp-';

export function isPlaceholderTarget(sp: SoakPair, rel: string, target: string): boolean {
  return sp.lazy && target === join(sp.p.remote, rel);
}

/** The entries of one side below `root` (not .lazysync, temps), tolerating concurrent changes. */
export async function listSide(sp: SoakPair, side: Side, forDriver: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  const base = root(sp, side);
  const visit = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(base, dir));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (rel === '.lazysync') continue;
      if (forDriver && (name.startsWith('.lazysync-tmp-') || name.startsWith(DRIVER_TEMP))) continue;
      try {
        const st = await lstat(join(base, rel));
        if (st.isDirectory()) {
          out.push({ rel, kind: 'dir' });
          await visit(rel);
        } else if (st.isSymbolicLink()) {
          const t = await readlink(join(base, rel));
          out.push({
            rel,
            kind: side === 'L' && isPlaceholderTarget(sp, rel, t) ? 'placeholder' : 'symlink',
          });
        } else if (st.isFile()) out.push({ rel, kind: 'file' });
      } catch {
        /* changed under us */
      }
    }
  };
  await visit('');
  return out;
}

/** The sha of a regular file at `rel` on `side` (a placeholder is no copy: undefined). */
export async function realCopySha(sp: SoakPair, side: Side, rel: string): Promise<string | undefined> {
  try {
    const abs = join(root(sp, side), rel);
    if (!(await lstat(abs)).isFile()) return undefined;
    return sha(await readFile(abs));
  } catch {
    return undefined;
  }
}

/** The content at `rel` on `side` as a user sees it: a file's, or a placeholder's remote file's. */
export async function observe(sp: SoakPair, side: Side, rel: string): Promise<string | undefined> {
  const abs = join(root(sp, side), rel);
  try {
    const st = await lstat(abs);
    if (st.isFile()) return sha(await readFile(abs));
    if (st.isSymbolicLink() && side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
      return realCopySha(sp, 'R', rel);
    }
  } catch {
    /* gone */
  }
  return undefined;
}
