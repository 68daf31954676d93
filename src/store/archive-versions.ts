// The archive's ledger of the versions this pair made (migration 005), and the scratch list of the ones a
// prune has chosen to remove. Read in pages, so that neither is ever held whole in memory.
import type Database from 'better-sqlite3';
import type { RelPath, Side, VersionKind } from '../core/types.js';
import type { PruneReason } from '../core/retention.js';
import { decodeBinary, decodeKey, encodeBinary, encodeKey } from './codec.js';

/** One version as the ledger records it. */
export interface LedgerVersion {
  side: Side;
  /** The path it is a version of. */
  path: RelPath;
  /** The version's path relative to its root (.lazysync/versions/...). */
  file: RelPath;
  made: number;
  kind: VersionKind;
  size: number;
  mtime: number;
}

export interface LedgerRow extends LedgerVersion {
  id: number;
}

/** A version a prune chose, with why. */
export interface DoomedRow extends LedgerRow {
  reason: PruneReason;
}

export interface SideUsage {
  count: number;
  bytes: number;
}

const PAGE = 500;

interface RawRow {
  id: number;
  side: Side;
  key: Buffer;
  file: Buffer;
  made: number;
  kind: VersionKind;
  size: number;
  mtime: number;
}

function rowOf(r: RawRow): LedgerRow {
  return {
    id: r.id,
    side: r.side,
    path: decodeKey(r.key),
    file: decodeBinary(r.file) ?? '',
    made: r.made,
    kind: r.kind,
    size: r.size,
    mtime: r.mtime,
  };
}

export class VersionLedger {
  private readonly s: ReturnType<typeof prepare>;

  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_doomed (id INTEGER PRIMARY KEY, reason TEXT NOT NULL)');
    this.s = prepare(db);
  }

  add(v: LedgerVersion): void {
    this.s.add.run(v.side, encodeKey(v.path), encodeBinary(v.file), v.made, v.kind, v.size, v.mtime);
  }

  forget(id: number): void {
    this.s.forget.run(id);
  }

  /** How many versions, and how many bytes, the ledger records on each side. */
  usage(): Record<Side, SideUsage> {
    const out: Record<Side, SideUsage> = { local: { count: 0, bytes: 0 }, remote: { count: 0, bytes: 0 } };
    for (const r of this.s.usage.all()) out[r.side] = { count: r.n, bytes: r.bytes };
    return out;
  }

  /** Every path with versions on `side`, in key order, a page at a time. */
  *paths(side: Side): Generator<RelPath> {
    // The empty key sorts first, and no version is of the root itself.
    let after: Buffer = Buffer.alloc(0);
    for (;;) {
      const page = this.s.keysAfter.all(side, after).map((r) => r.key);
      for (const key of page) yield decodeKey(key);
      if (page.length < PAGE) return;
      after = page[page.length - 1] as Buffer;
    }
  }

  /** The versions of `path` on `side`, newest first. */
  ofPath(side: Side, path: RelPath): LedgerRow[] {
    return this.s.ofPath.all(side, encodeKey(path)).map(rowOf);
  }

  // ---- a prune's choice ----

  doom(id: number, reason: PruneReason): void {
    this.s.doom.run(id, reason);
  }

  /** The versions on `side` not chosen for removal, newest first, a page at a time. */
  *survivors(side: Side): Generator<LedgerRow> {
    let cursor = { made: Number.MAX_VALUE, id: Number.MAX_SAFE_INTEGER };
    for (;;) {
      const page = this.s.survivorsAfter.all(side, cursor.made, cursor.made, cursor.id).map(rowOf);
      yield* page;
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return;
      cursor = { made: last.made, id: last.id };
    }
  }

  /** The versions chosen for removal, oldest first, in pages (rows may be forgotten meanwhile). */
  *doomed(): Generator<DoomedRow[]> {
    let after = -1;
    for (;;) {
      const page = this.s.doomedAfter.all(after).map((r) => ({ ...rowOf(r), reason: r.reason }));
      if (page.length > 0) yield page;
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return;
      after = last.id;
    }
  }

  clearDoomed(): void {
    this.s.clearDoomed.run();
  }
}

function prepare(db: Database.Database) {
  const cols = 'id, side, key, file, made, kind, size, mtime';
  return {
    add: db.prepare<[Side, Buffer, Buffer | null, number, VersionKind, number, number]>(
      'INSERT INTO versions (side, key, file, made, kind, size, mtime) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    forget: db.prepare<[number]>('DELETE FROM versions WHERE id = ?'),
    usage: db.prepare<[], { side: Side; n: number; bytes: number }>(
      'SELECT side, count(*) AS n, coalesce(sum(size), 0) AS bytes FROM versions GROUP BY side',
    ),
    keysAfter: db.prepare<[Side, Buffer], { key: Buffer }>(
      `SELECT DISTINCT key FROM versions WHERE side = ? AND key > ? ORDER BY key LIMIT ${PAGE}`,
    ),
    ofPath: db.prepare<[Side, Buffer], RawRow>(
      `SELECT ${cols} FROM versions WHERE side = ? AND key = ? ORDER BY made DESC, id DESC`,
    ),
    doom: db.prepare<[number, string]>('INSERT OR REPLACE INTO prune_doomed (id, reason) VALUES (?, ?)'),
    survivorsAfter: db.prepare<[Side, number, number, number], RawRow>(
      `SELECT ${cols} FROM versions WHERE side = ? AND id NOT IN (SELECT id FROM prune_doomed)
       AND (made < ? OR (made = ? AND id < ?)) ORDER BY made DESC, id DESC LIMIT ${PAGE}`,
    ),
    doomedAfter: db.prepare<[number], RawRow & { reason: PruneReason }>(
      `SELECT v.id, v.side, v.key, v.file, v.made, v.kind, v.size, v.mtime, d.reason
       FROM prune_doomed d JOIN versions v ON v.id = d.id WHERE d.id > ? ORDER BY d.id LIMIT ${PAGE}`,
    ),
    clearDoomed: db.prepare('DELETE FROM prune_doomed'),
  };
}
