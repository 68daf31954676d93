// Creating directories inside a root without ever following a symlink.
import fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { display, joinPath, parentOf } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { hasCode, LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { absOf } from './entry.js';
import { isAbsent } from './fserr.js';

/** mkdir `abs`; an existing directory is fine, anything else there (a symlink included) is an 'io' error. */
export async function ensureDir(abs: Buffer, mode?: number): Promise<void> {
  faultPoint('mkdir', abs);
  try {
    await fsp.mkdir(abs, mode);
    return;
  } catch (e) {
    if (!hasCode(e, 'EEXIST')) throw e;
  }
  const st = await fsp.lstat(abs);
  if (!st.isDirectory()) {
    throw new LazysyncError(
      'io',
      `${display(abs.toString('latin1'))}: exists and is not a directory (${kindOf(st)})`,
    );
  }
}

/**
 * mkdir -p of the parent of `rel` inside `root`, one component at a time with lstat: a component that is
 * a symlink (placeholders included) or a file is an 'io' error, never followed or replaced.
 * A race it cannot close: a component swapped for a symlink between its check and the next mkdir.
 */
export async function ensureParents(root: string, rel: RelPath): Promise<void> {
  const parent = parentOf(rel);
  if (parent === '') return;
  let cur = '';
  for (const part of parent.split('/')) {
    cur = joinPath(cur, part);
    const abs = absOf(root, cur);
    let st: Stats | undefined;
    try {
      st = await fsp.lstat(abs);
    } catch (e) {
      if (!isAbsent(e)) throw e;
    }
    if (st === undefined) {
      faultPoint('mkdir parent', abs);
      try {
        await fsp.mkdir(abs);
        continue;
      } catch (e) {
        if (!hasCode(e, 'EEXIST')) throw e;
        st = await fsp.lstat(abs);
      }
    }
    if (!st.isDirectory()) {
      throw new LazysyncError(
        'io',
        `${display(cur)}: is a ${kindOf(st)}, not a directory; cannot create ${display(rel)}`,
      );
    }
  }
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return 'file';
  return 'special file';
}
