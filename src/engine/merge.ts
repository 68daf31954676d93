// Joins the archive and both scans, each sorted by comparePaths, into one stream of per-path triples.
import { comparePaths } from '../core/paths.js';
import type { ArchiveRecord, Entry, RelPath } from '../core/types.js';

export interface Triple {
  path: RelPath;
  archive?: ArchiveRecord;
  local?: Entry;
  remote?: Entry;
}

class Head<T> {
  value: T | undefined;
  done = false;
  constructor(private readonly it: AsyncIterator<T>) {}
  async advance(): Promise<void> {
    const r = await this.it.next();
    this.done = r.done === true;
    this.value = r.done === true ? undefined : r.value;
  }
}

/** Every path present in any source, once, in order, with what each source has for it. */
export async function* mergeSorted(
  archive: AsyncIterable<ArchiveRecord>,
  local: AsyncIterable<[RelPath, Entry]>,
  remote: AsyncIterable<[RelPath, Entry]>,
): AsyncGenerator<Triple> {
  const a = new Head(archive[Symbol.asyncIterator]());
  const l = new Head(local[Symbol.asyncIterator]());
  const r = new Head(remote[Symbol.asyncIterator]());
  await Promise.all([a.advance(), l.advance(), r.advance()]);
  for (;;) {
    const candidates: RelPath[] = [];
    if (a.value !== undefined) candidates.push(a.value.path);
    if (l.value !== undefined) candidates.push(l.value[0]);
    if (r.value !== undefined) candidates.push(r.value[0]);
    if (candidates.length === 0) return;
    let path = candidates[0] as RelPath;
    for (const c of candidates) if (comparePaths(c, path) < 0) path = c;

    const t: Triple = { path };
    const moves: Promise<void>[] = [];
    if (a.value !== undefined && a.value.path === path) {
      t.archive = a.value;
      moves.push(a.advance());
    }
    if (l.value !== undefined && l.value[0] === path) {
      t.local = l.value[1];
      moves.push(l.advance());
    }
    if (r.value !== undefined && r.value[0] === path) {
      t.remote = r.value[1];
      moves.push(r.advance());
    }
    yield t;
    await Promise.all(moves);
  }
}
