// The archive's entries table (the synced state of every path, keyed so that SQLite's order is comparePaths
// order) and the access table beside it (when each local copy was last opened), for Archive.
import type Database from 'better-sqlite3';
import type { ArchiveRecord, RelPath } from '../core/types.js';
import { faultPoint } from '../fault.js';
import {
  decodeKey,
  encodeKey,
  entryParams,
  makeEntry,
  type CountRow,
  type EntryParams,
  type KeyParams,
} from './codec.js';

interface EntryRow {
  key: Buffer;
  l_kind: string;
  l_size: number;
  l_mtime: number;
  l_mode: number;
  l_ino: number;
  l_target: Buffer | null;
  r_kind: string;
  r_size: number;
  r_mtime: number;
  r_mode: number;
  r_ino: number;
  r_target: Buffer | null;
}

/** An entries row as an array, in the table's column order (key, l_*, r_*). */
type RawEntryRow = [
  Buffer,
  ...[string, number, number, number, number, Buffer | null],
  ...[string, number, number, number, number, Buffer | null],
];

/** The statements on the entries and access tables; Archive documents what each method means. */
export class EntriesTable {
  private readonly s: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.s = prepare(db);
  }

  get(path: RelPath): ArchiveRecord | undefined {
    const row = this.s.get.get(encodeKey(path));
    return row && toRecord(row);
  }

  put(rec: ArchiveRecord): void {
    faultPoint('archive: put', rec.path);
    this.s.put.run(encodeKey(rec.path), ...entryParams(rec.local), ...entryParams(rec.remote));
  }

  delete(path: RelPath): boolean {
    faultPoint('archive: delete', path);
    const key = encodeKey(path);
    this.s.forgetAccess.run(key);
    return this.s.delete.run(key).changes > 0;
  }

  /** Gives the record of `from` the path `rec.path`, with its access time. */
  rekey(from: RelPath, rec: ArchiveRecord): void {
    faultPoint('archive: rekey', from);
    const key = encodeKey(from);
    this.s.delete.run(key);
    this.s.put.run(encodeKey(rec.path), ...entryParams(rec.local), ...entryParams(rec.remote));
    this.s.rekeyAccess.run(encodeKey(rec.path), key);
  }

  page(after: RelPath | undefined, limit: number): ArchiveRecord[] {
    const rows =
      after === undefined ? this.s.pageFirst.all(limit) : this.s.pageAfter.all(encodeKey(after), limit);
    return rows.map(rawToRecord);
  }

  count(): number {
    return this.s.count.get()?.n ?? 0;
  }

  countFiles(): number {
    return this.s.countFiles.get()?.n ?? 0;
  }

  localCopyBytes(): number {
    return this.s.localCopyBytes.get()?.n ?? 0;
  }

  /** One open, outside any transaction of its own: Archive.touch groups them. */
  touch(path: RelPath, when: number): void {
    this.s.touch.run(encodeKey(path), when);
  }

  leastRecentlyOpened(limit: number, offset: number): (ArchiveRecord & { lastOpen: number })[] {
    return this.s.lru.all(limit, offset).map((r) => ({ ...toRecord(r), lastOpen: r.last_open }));
  }

  remoteDirs(after: RelPath | undefined, limit: number): RelPath[] {
    const rows =
      after === undefined ? this.s.dirsFirst.all(limit) : this.s.dirsAfter.all(encodeKey(after), limit);
    return rows.map((r) => decodeKey(r.key));
  }

  countLocal(): { placeholders: number; localCopies: number } {
    const r = this.s.countLocal.get();
    return { placeholders: r?.placeholders ?? 0, localCopies: r?.copies ?? 0 };
  }

  conflictCopies(): ArchiveRecord[] {
    return this.s.conflictCopies.all().map(toRecord);
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare<KeyParams, EntryRow>('SELECT * FROM entries WHERE key = ?'),
    put: db.prepare<[Buffer, ...EntryParams, ...EntryParams]>(
      `INSERT OR REPLACE INTO entries
         (key, l_kind, l_size, l_mtime, l_mode, l_ino, l_target, r_kind, r_size, r_mtime, r_mode, r_ino, r_target)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    delete: db.prepare<KeyParams>('DELETE FROM entries WHERE key = ?'),
    // Rows as arrays (the column order of the table): objects cost 1.7x the time over a whole archive.
    pageFirst: db.prepare<[number], RawEntryRow>('SELECT * FROM entries ORDER BY key LIMIT ?').raw(),
    pageAfter: db
      .prepare<[Buffer, number], RawEntryRow>('SELECT * FROM entries WHERE key > ? ORDER BY key LIMIT ?')
      .raw(),
    count: db.prepare<[], CountRow>('SELECT count(*) AS n FROM entries'),
    countFiles: db.prepare<[], CountRow>("SELECT count(*) AS n FROM entries WHERE r_kind <> 'dir'"),
    localCopyBytes: db.prepare<[], CountRow>(
      "SELECT coalesce(sum(l_size), 0) AS n FROM entries WHERE l_kind = 'file'",
    ),
    touch: db.prepare<[Buffer, number]>(
      'INSERT INTO access (key, last_open) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last_open = excluded.last_open',
    ),
    lru: db.prepare<[number, number], EntryRow & { last_open: number }>(
      `SELECT e.*, coalesce(a.last_open, 0) AS last_open FROM entries e LEFT JOIN access a ON a.key = e.key
       WHERE e.l_kind = 'file' AND e.r_kind = 'file' ORDER BY last_open, e.key LIMIT ? OFFSET ?`,
    ),
    forgetAccess: db.prepare<KeyParams>('DELETE FROM access WHERE key = ?'),
    rekeyAccess: db.prepare<[Buffer, Buffer]>('UPDATE OR REPLACE access SET key = ? WHERE key = ?'),
    dirsFirst: db.prepare<[number], { key: Buffer }>(
      "SELECT key FROM entries WHERE r_kind = 'dir' ORDER BY key LIMIT ?",
    ),
    dirsAfter: db.prepare<[Buffer, number], { key: Buffer }>(
      "SELECT key FROM entries WHERE r_kind = 'dir' AND key > ? ORDER BY key LIMIT ?",
    ),
    countLocal: db.prepare<[], { placeholders: number; copies: number }>(
      `SELECT coalesce(sum(l_kind = 'placeholder'), 0) AS placeholders,
              coalesce(sum(l_kind = 'file' AND r_kind = 'file'), 0) AS copies FROM entries`,
    ),
    // A cheap prefilter on the key bytes; the caller checks the name exactly (names.ts).
    conflictCopies: db.prepare<[], EntryRow>(
      "SELECT * FROM entries WHERE instr(key, CAST('.conflict-' AS BLOB)) > 0 ORDER BY key",
    ),
  };
}

function toRecord(r: EntryRow): ArchiveRecord {
  return {
    path: decodeKey(r.key),
    local: makeEntry(r.l_kind, r.l_size, r.l_mtime, r.l_mode, r.l_ino, r.l_target),
    remote: makeEntry(r.r_kind, r.r_size, r.r_mtime, r.r_mode, r.r_ino, r.r_target),
  };
}

function rawToRecord(r: RawEntryRow): ArchiveRecord {
  return {
    path: decodeKey(r[0]),
    local: makeEntry(r[1], r[2], r[3], r[4], r[5], r[6]),
    remote: makeEntry(r[7], r[8], r[9], r[10], r[11], r[12]),
  };
}
