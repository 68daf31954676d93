// One side of a pair as the code that acts on it sees it: its folder, the filesystem calls fit for it (the
// local disk blocks briefly, a network mount goes through the pooled calls), its state folder, and the
// placeholder rule (a local symlink is a placeholder when its link text is the remote path of the same path).
import path from 'node:path';
import { STATE_DIR, display } from '../core/paths.js';
import { LazysyncError } from '../errors.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { expectEntry } from './expect.js';
import {
  absOf,
  linkWriterFor,
  lstatEntry,
  placeholderTarget,
  readerFor,
  type FsReader,
  type LinkWriter,
} from './entry.js';

export class Root {
  /** Reads fit for this side. */
  readonly io: FsReader;
  /** Symlink calls fit for this side. */
  readonly links: LinkWriter;

  private constructor(
    readonly side: Side,
    /** The folder, as a binary string (one char per byte). */
    readonly path: string,
    /** On the local side, the remote root its placeholders point into. */
    readonly placeholderRoot: string | undefined,
  ) {
    this.io = readerFor(side);
    this.links = linkWriterFor(side);
  }

  /** Both sides of a pair: the local root recognises placeholders into the remote one. */
  static pair(localRoot: string, remoteRoot: string): { local: Root; remote: Root } {
    return {
      local: new Root('local', localRoot, remoteRoot),
      remote: new Root('remote', remoteRoot, undefined),
    };
  }

  /** The absolute path of `rel` below this root, as bytes. */
  abs(rel: RelPath): Buffer {
    return absOf(this.path, rel);
  }

  /** lazysync's own folder in this root (the archive locally, the marker and versions on the remote). */
  get stateDir(): string {
    return path.join(Buffer.from(this.path, 'latin1').toString(), STATE_DIR);
  }

  /** What is at `rel` now (never following a symlink), or undefined. */
  stat(rel: RelPath): Promise<Entry | undefined> {
    return lstatEntry(this.path, rel, this.side, this.placeholderRoot);
  }

  /** What is at `rel` now; throws LazysyncError('changed') if nothing is (the next pass sees why). */
  async need(rel: RelPath): Promise<Entry> {
    const e = await this.stat(rel);
    if (e === undefined)
      throw new LazysyncError('changed', `${display(rel)}: vanished on the ${this.side} side; will retry`);
    return e;
  }

  /** Throws LazysyncError('changed') unless `rel` is still `expected` and the folders on its way are folders. */
  expect(rel: RelPath, expected: Entry | undefined): Promise<void> {
    return expectEntry(this.path, rel, this.side, expected, this.placeholderRoot);
  }

  /** The link text of the placeholder of `rel` (local side only: a link to the remote path of `rel`). */
  placeholderText(rel: RelPath): Buffer {
    if (this.placeholderRoot === undefined) throw new Error('placeholders exist only on the local side');
    return Buffer.from(placeholderTarget(this.placeholderRoot, rel), 'latin1');
  }
}
