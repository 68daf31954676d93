// The driver: random changes on one side of a pair at a time, as users and programs make them (creates,
// in-place edits, editor-style saves, renames, deletes, folders, symlinks, opens of placeholders), each
// written into the ledger. Its choices come from the seeded generator; the odds steer each pair's size
// towards TARGET_FILES files.
import { randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Ledger } from './ledger.js';
import type { Rng } from './rng.js';
import {
  DRIVER_TEMP,
  isPlaceholderTarget,
  listSide,
  observe,
  other,
  realCopySha,
  root,
  sha,
  type Entry,
  type Side,
  type SoakPair,
} from './sides.js';

const TARGET_FILES = 100; // files per pair (one side) the driver steers towards

const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

export class Driver {
  /** Operations done, by `op side`. */
  readonly opCounts: Record<string, number> = {};
  /** Operations that failed or had nothing to work on, by `op side: reason`. */
  readonly skipped: Record<string, number> = {};
  /** Makes every name and content the driver writes unique. */
  private seq = 0;
  private trashSeq = 0;

  constructor(
    private readonly rng: Rng,
    private readonly ledger: Ledger,
  ) {}

  /** One random operation on `side` of `sp`; `trash` is a folder outside the root on the same filesystem. */
  async step(sp: SoakPair, side: Side, trash: string): Promise<void> {
    const entries = await listSide(sp, side, true);
    const files = entries.filter((e) => e.kind === 'file' || e.kind === 'placeholder');
    const dirs = ['', ...entries.filter((e) => e.kind === 'dir').map((e) => e.rel)];
    const links = entries.filter((e) => e.kind === 'symlink');
    const placeholders = entries.filter((e) => e.kind === 'placeholder');
    const full = files.length / TARGET_FILES; // steer the size: more creates below the target, more deletes above
    const weights: [string, number][] = [
      ['create', 16 / Math.max(full, 0.3)],
      ['edit', files.length ? 14 : 0],
      ['save', files.length ? 14 : 0],
      ['rename', files.length ? 8 : 0],
      ['delete', files.length ? 10 * full : 0],
      ['mkdir', dirs.length < 12 ? 4 : 1],
      ['rmdir', dirs.length > 1 ? 3 : 0],
      ['deltree', dirs.length > 4 ? 1.5 * full : 0],
      ['symlink', links.length < 10 ? 2 : 0.3],
      ['unlink', links.length ? 1.5 : 0],
      ['both-edit', files.length ? 2 : 0],
      ['open', side === 'L' && placeholders.length ? 5 : 0],
    ];
    let x = this.rng.next() * weights.reduce((a, [, w]) => a + w, 0);
    let op = 'create';
    for (const [name, w] of weights) {
      if ((x -= w) < 0) {
        op = name;
        break;
      }
    }
    const key = `${op}`;
    try {
      const file = this.rng.pick(files);
      switch (op) {
        case 'create':
          await this.createFile(sp, side, dirs);
          break;
        case 'edit':
          if (file) await this.editInPlace(sp, side, file);
          break;
        case 'save':
          if (file) await this.atomicSave(sp, side, file);
          break;
        case 'rename':
          if (file) await this.renameEntry(sp, side, file, dirs);
          break;
        case 'delete':
          if (file) await this.deleteEntry(sp, side, file, trash);
          break;
        case 'both-edit':
          // The same file saved on the remote and then locally before a pass: a conflict (or an edit).
          if (file) {
            await this.atomicSave(sp, other(side), { rel: file.rel, kind: 'file' });
            await this.atomicSave(sp, side, file);
          }
          break;
        case 'mkdir':
          await this.makeDir(sp, side, dirs);
          break;
        case 'rmdir': {
          const empty = [];
          for (const d of dirs.slice(1)) if (!entries.some((e) => e.rel.startsWith(`${d}/`))) empty.push(d);
          const d = this.rng.pick(empty);
          if (d === undefined) throw Object.assign(new Error('no empty folder'), { code: 'NONE' });
          await rmdir(join(root(sp, side), d));
          break;
        }
        case 'deltree': {
          const small = dirs
            .slice(1)
            .filter((d) => entries.filter((e) => e.rel.startsWith(`${d}/`)).length <= 12);
          const d = this.rng.pick(small);
          if (d === undefined) throw Object.assign(new Error('no small folder'), { code: 'NONE' });
          await this.deleteEntry(sp, side, { rel: d, kind: 'dir' }, trash);
          break;
        }
        case 'symlink':
          await this.makeSymlink(sp, side, dirs, files);
          break;
        case 'unlink': {
          const l = this.rng.pick(links);
          if (l) await this.deleteEntry(sp, side, l, trash);
          break;
        }
        case 'open': {
          const ph = this.rng.pick(placeholders);
          if (ph) await this.openPlaceholder(sp, ph);
          break;
        }
      }
      count(this.opCounts, `${key} ${side}`);
    } catch (e) {
      count(this.skipped, `${key} ${side}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** A new file in one of `dirs`. */
  async createFile(sp: SoakPair, side: Side, dirs: string[]): Promise<void> {
    const rel = this.freshName(this.rng.pick(dirs) ?? '', side, 'f');
    const content = this.newContent(sp, side, rel);
    await writeExclusive(join(root(sp, side), rel), content);
    this.ledger.recordWrite(sp, side, rel, content, 'create');
  }

  /** In place: open, read what is there, truncate and write (follows a placeholder into the mount). */
  private async editInPlace(sp: SoakPair, side: Side, e: Entry): Promise<void> {
    const abs = join(root(sp, side), e.rel);
    // Through a placeholder the write lands on the remote, where lazysync keeps no copy: an R-side change.
    const where: Side = e.kind === 'placeholder' ? 'R' : side;
    const fh = await open(abs, 'r+');
    try {
      const old = await fh.readFile();
      await this.ledger.recordDestroy(sp, where, e.rel, sha(old), 'overwritten in place');
      const content = this.newContent(sp, side, e.rel);
      await fh.truncate(0);
      await fh.write(content, 0, content.length, 0);
      await fh.close();
      this.ledger.recordWrite(
        sp,
        where,
        e.rel,
        content,
        `edit in place${e.kind === 'placeholder' ? ' (through placeholder)' : ''}`,
      );
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Editor-style save: a temp file in the same folder renamed over the file. */
  private async atomicSave(sp: SoakPair, side: Side, e: Entry): Promise<void> {
    const abs = join(root(sp, side), e.rel);
    const tmp = join(dirname(abs), `${DRIVER_TEMP}${++this.seq}`);
    const content = this.newContent(sp, side, e.rel);
    await writeExclusive(tmp, content);
    try {
      const old = await observe(sp, side, e.rel);
      await rename(tmp, abs);
      if (old !== undefined)
        await this.ledger.recordDestroy(sp, side, e.rel, old, 'replaced by an atomic save');
      this.ledger.recordWrite(sp, side, e.rel, content, 'atomic save');
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  private async renameEntry(sp: SoakPair, side: Side, e: Entry, dirs: string[]): Promise<void> {
    const base = root(sp, side);
    const to = this.freshName(this.rng.pick(dirs) ?? '', side, e.kind === 'file' ? 'f' : 'l');
    if (e.kind === 'placeholder') {
      // A moved placeholder is a user symlink to the old remote path; the remote file counts as deleted here.
      const h = await realCopySha(sp, 'R', e.rel);
      await rename(join(base, e.rel), join(base, to));
      if (h !== undefined) await this.ledger.recordDestroy(sp, side, e.rel, h, `placeholder moved to ${to}`);
      return;
    }
    await rename(join(base, e.rel), join(base, to));
    if (e.kind !== 'file') return;
    const h = await realCopySha(sp, side, to); // `to` is new: nobody but the driver writes there yet
    this.ledger.recordRename(h, side, e.rel, to);
  }

  /** Deletes by moving into a trash folder outside the root (atomic), then reads what was taken. */
  private async deleteEntry(sp: SoakPair, side: Side, e: Entry, trash: string): Promise<void> {
    const taken = join(trash, String(++this.trashSeq));
    await rename(join(root(sp, side), e.rel), taken);
    try {
      await this.inspectTaken(sp, side, e.rel, taken);
    } finally {
      await rm(taken, { recursive: true, force: true });
    }
  }

  private async inspectTaken(sp: SoakPair, side: Side, rel: string, abs: string): Promise<void> {
    const st = await lstat(abs);
    if (st.isFile()) await this.ledger.recordDestroy(sp, side, rel, sha(await readFile(abs)), 'deleted');
    else if (st.isSymbolicLink()) {
      if (side === 'L' && isPlaceholderTarget(sp, rel, await readlink(abs))) {
        const h = await realCopySha(sp, 'R', rel);
        if (h !== undefined) await this.ledger.recordDestroy(sp, side, rel, h, 'placeholder deleted');
      }
    } else if (st.isDirectory()) {
      for (const name of await readdir(abs))
        await this.inspectTaken(sp, side, `${rel}/${name}`, join(abs, name));
    }
  }

  private async makeDir(sp: SoakPair, side: Side, dirs: string[]): Promise<void> {
    const parent = this.rng.pick(dirs.filter((d) => d.split('/').length < 3)) ?? '';
    await mkdir(join(root(sp, side), this.freshName(parent, side, 'd')));
  }

  private async makeSymlink(sp: SoakPair, side: Side, dirs: string[], files: Entry[]): Promise<void> {
    const rel = this.freshName(this.rng.pick(dirs) ?? '', side, 'l');
    const target =
      this.rng.next() < 0.7 ? (this.rng.pick(files)?.rel.split('/').pop() ?? 'nowhere') : `../x${this.seq}`;
    await symlink(target, join(root(sp, side), rel));
  }

  /** Opens a placeholder and reads it, as a program would: lazysync hydrates it. */
  private async openPlaceholder(sp: SoakPair, e: Entry): Promise<void> {
    await readFile(join(sp.p.local, e.rel));
  }

  private freshName(dir: string, side: Side, kind: 'f' | 'd' | 'l'): string {
    const exts = ['.txt', '.md', '.bin', '', '.tar.gz'];
    const name = `${kind}${++this.seq}${side.toLowerCase()}${kind === 'f' ? (this.rng.pick(exts) ?? '') : ''}`;
    return dir === '' ? name : `${dir}/${name}`;
  }

  /** A unique content: a header naming where and when it was written, then random bytes. */
  private newContent(sp: SoakPair, side: Side, rel: string): Buffer {
    const r = this.rng.next();
    const size =
      r < 0.85
        ? Math.floor(this.rng.next() * 4096)
        : r < 0.98
          ? 16_384 + Math.floor(this.rng.next() * 114_688)
          : 1 << 20;
    const head = Buffer.from(`soak ${sp.name} ${side} ${rel} #${++this.seq} ${Date.now()}\n`);
    return Buffer.concat([head, randomBytes(size)]);
  }
}

async function writeExclusive(abs: string, content: Buffer): Promise<void> {
  const fh = await open(abs, 'wx');
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}
