// The archive of one pair: synced state of every path, meta facts, the journal, problems and the plan spool.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Action, ArchiveRecord, RelPath, Side } from '../core/types.js';
import { hasCode } from '../errors.js';
import { faultPoint } from '../fault.js';
import { decodeKey, encodeKey, entryParams, makeEntry, type EntryParams } from './codec.js';
import { ensureStateDir, openStateDb } from './db.js';

export interface JournalEntry {
  id: number;
  path: RelPath;
  op: string;
  side?: Side;
  /** Path of the temporary file, as bytes, once the action has one. */
  temp?: Buffer;
  /** Date.now() when the action was journalled. */
  started: number;
}

export interface Problem {
  path: RelPath;
  message: string;
  /** How many times in a row this path failed. */
  count: number;
  /** Date.now() of the first and of the latest failure. */
  first: number;
  last: number;
}

export interface ArchiveOptions {
  /** The clock for journal and problem times (tests pass a fake one). */
  now?: () => number;
}

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

interface JournalRow {
  id: number;
  key: Buffer;
  op: string;
  side: Side | null;
  temp: Buffer | null;
  started: number;
}

interface ProblemRow {
  key: Buffer;
  message: string;
  count: number;
  first: number;
  last: number;
}

type Key = [Buffer];
type Count = { n: number };
type Statements = ReturnType<typeof prepareAll>;

/**
 * The state database of a pair, `L/.lazysync/state.db`. One Archive per pair and process; hold the pair
 * lock (lock.ts) before opening it. All methods are synchronous and each statement is its own transaction
 * unless run inside transaction(). Records come back exactly as they were put, except that an entry's
 * `unreadable` flag (a scan observation, not synced state) is not stored.
 */
export class Archive {
  /** The database file. */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly s: Statements;
  private readonly addPlanMany: Database.Transaction<(actions: readonly Action[]) => void>;

  private constructor(file: string, db: Database.Database, now: () => number) {
    this.file = file;
    this.db = db;
    this.now = now;
    this.s = prepareAll(db);
    this.addPlanMany = db.transaction((actions: readonly Action[]) => {
      for (const a of actions) this.s.planAdd.run(JSON.stringify(a));
    });
  }

  /**
   * Opens the archive in `stateDir` (L/.lazysync, created with mode 0700 if missing), creating and
   * migrating the database as needed. Throws 'archive-corrupt' for a file that is not a lazysync database
   * or is newer than this build (the file is left as it was), 'local-unavailable' if stateDir cannot be
   * made or the file cannot be read.
   */
  static open(stateDir: string, options: ArchiveOptions = {}): Archive {
    ensureStateDir(stateDir);
    const file = join(stateDir, 'state.db');
    const db = openStateDb(file);
    try {
      return new Archive(file, db, options.now ?? Date.now);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.close();
  }

  /**
   * Groups every write that follows into transactions committed every `everyMs` and by the returned end(),
   * instead of one commit per statement (about 0.1 ms each). Safe because the archive only records what is
   * already true on disk: a write lost in a crash is found again by the next pass (both sides agree and
   * nothing is recorded: it is recorded then; a temp file with no journal row is swept by the scan). A
   * no-op inside an open transaction.
   */
  writeBehind(everyMs = 250): () => void {
    if (this.db.inTransaction) return () => undefined;
    this.db.exec('BEGIN');
    const commit = (): void => {
      if (!this.db.open || !this.db.inTransaction) return;
      faultPoint('archive: commit batch');
      try {
        this.db.exec('COMMIT');
      } catch (e) {
        // A full disk: the batch is given up, as a crash would lose it (see above), instead of the error
        // escaping from a timer and killing the process; the next pass finds those paths again.
        if (!hasCode(e, 'SQLITE_FULL')) throw e;
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    };
    const timer = setInterval(() => {
      commit();
      if (this.db.open) this.db.exec('BEGIN');
    }, everyMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      commit();
    };
  }

  /** Runs `fn` in one transaction (a savepoint when nested): all its writes happen, or none. */
  transaction<T>(fn: () => T): T {
    faultPoint('archive: transaction begin');
    return this.db.transaction(() => {
      const r = fn();
      faultPoint('archive: transaction commit'); // a kill here must roll every write of fn back
      return r;
    })();
  }

  // ---- entries ----

  get(path: RelPath): ArchiveRecord | undefined {
    const row = this.s.get.get(encodeKey(path));
    return row && toRecord(row);
  }

  /** Inserts or replaces the record of `rec.path`. */
  put(rec: ArchiveRecord): void {
    faultPoint('archive: put', rec.path);
    this.s.put.run(encodeKey(rec.path), ...entryParams(rec.local), ...entryParams(rec.remote));
  }

  /** Removes the record of `path`; true if there was one. */
  delete(path: RelPath): boolean {
    faultPoint('archive: delete', path);
    const key = encodeKey(path);
    this.s.forgetAccess.run(key);
    return this.s.delete.run(key).changes > 0;
  }

  /**
   * Up to `limit` records after `after` (from the first if undefined), in comparePaths order. `after` need
   * not be in the archive. Pass the last path of a page to get the next one; no cursor stays open between
   * calls, so the archive can be written while it is being read this way.
   */
  page(after: RelPath | undefined, limit: number): ArchiveRecord[] {
    const rows =
      after === undefined ? this.s.pageFirst.all(limit) : this.s.pageAfter.all(encodeKey(after), limit);
    return rows.map(rawToRecord);
  }

  count(): number {
    return this.s.count.get()?.n ?? 0;
  }

  /** Records whose remote entry is not a directory. */
  countFiles(): number {
    return this.s.countFiles.get()?.n ?? 0;
  }

  // ---- local copies: sizes, last opens, the watch set ----

  /** Total bytes of local copies (local kind 'file'): what --cache-max limits. */
  localCopyBytes(): number {
    return this.s.localCopyBytes.get()?.n ?? 0;
  }

  /** Marks paths as opened at `when` (one transaction). */
  touch(paths: Iterable<RelPath>, when: number): void {
    faultPoint('archive: touch');
    this.transaction(() => {
      for (const p of paths) this.s.touch.run(encodeKey(p), when);
    });
  }

  /**
   * Local copies of remote files, least recently opened first (never-opened ones first of all), skipping
   * the first `offset`. For eviction: the caller skips the ones it keeps by raising the offset.
   */
  leastRecentlyOpened(limit: number, offset: number): (ArchiveRecord & { lastOpen: number })[] {
    return this.s.lru.all(limit, offset).map((r) => ({ ...toRecord(r), lastOpen: r.last_open }));
  }

  /** Remote directories in key order after `after`: the directories whose opens are watched. */
  remoteDirs(after: RelPath | undefined, limit: number): RelPath[] {
    const rows =
      after === undefined ? this.s.dirsFirst.all(limit) : this.s.dirsAfter.all(encodeKey(after), limit);
    return rows.map((r) => decodeKey(r.key));
  }

  /** How many paths are placeholders and how many are local copies of remote files. */
  countLocal(): { placeholders: number; localCopies: number } {
    const r = this.s.countLocal.get();
    return { placeholders: r?.placeholders ?? 0, localCopies: r?.copies ?? 0 };
  }

  /** Records whose name looks like a conflict copy (NAME.conflict-STAMP.EXT). */
  conflictCopies(): ArchiveRecord[] {
    return this.s.conflictCopies.all().map(toRecord);
  }

  // ---- meta ----

  getMeta(key: string): string | undefined {
    return this.s.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    faultPoint('archive: set meta', key);
    this.s.setMeta.run(key, value);
  }

  // ---- journal ----

  /** Records an action about to start; returns its id for journalSetTemp and journalDone. */
  journalAdd(j: { path: RelPath; op: string; side?: Side; temp?: Buffer }): number {
    faultPoint('journal: add', j.path);
    const r = this.s.journalAdd.run(encodeKey(j.path), j.op, j.side ?? null, j.temp ?? null, this.now());
    return Number(r.lastInsertRowid);
  }

  journalSetTemp(id: number, temp: Buffer): void {
    faultPoint('journal: set temp', temp);
    this.s.journalSetTemp.run(temp, id);
  }

  /** The action finished (or was rolled back): forget it. */
  journalDone(id: number): void {
    faultPoint('journal: done');
    this.s.journalDone.run(id);
  }

  /** Actions journalled and not done, oldest first. */
  journalList(): JournalEntry[] {
    return this.s.journalList.all().map((r) => {
      const j: JournalEntry = { id: r.id, path: decodeKey(r.key), op: r.op, started: r.started };
      if (r.side !== null) j.side = r.side;
      if (r.temp !== null) j.temp = r.temp;
      return j;
    });
  }

  // ---- problems ----

  /** Records a failure on `path`: the first one sets `first`, each one counts and sets message and `last`. */
  problemSet(path: RelPath, message: string): void {
    faultPoint('problem: set', path);
    const t = this.now();
    this.s.problemSet.run(encodeKey(path), message, t, t);
  }

  problemClear(path: RelPath): void {
    faultPoint('problem: clear', path);
    this.s.problemClear.run(encodeKey(path));
  }

  problemGet(path: RelPath): Problem | undefined {
    const row = this.s.problemGet.get(encodeKey(path));
    return row && toProblem(row);
  }

  /** All problems, in comparePaths order. */
  problemList(): Problem[] {
    return this.s.problemList.all().map(toProblem);
  }

  problemCount(): number {
    return this.s.problemCount.get()?.n ?? 0;
  }

  // ---- skips: paths left out because the remote cannot store them ----

  /** Records that `path` is left out; true if it was not already left out for the same reason. */
  skipSet(path: RelPath, message: string): boolean {
    const key = encodeKey(path);
    if (this.s.skipGet.get(key)?.message === message) return false;
    this.s.skipSet.run(key, message, this.now());
    return true;
  }

  skipClear(path: RelPath): void {
    this.s.skipClear.run(encodeKey(path));
  }

  /** Every path left out, in comparePaths order. */
  skipList(): { path: RelPath; message: string; first: number }[] {
    return this.s.skipList.all().map((r) => ({ path: decodeKey(r.key), message: r.message, first: r.first }));
  }

  skipCount(): number {
    return this.s.skipCount.get()?.n ?? 0;
  }

  // ---- plan spool ----

  planClear(): void {
    faultPoint('plan: clear');
    this.s.planClear.run();
  }

  /** Appends one action; returns its seq (1, 2, ... after planClear). Prefer planAddMany in bulk. */
  planAdd(action: Action): number {
    faultPoint('plan: add', action.path);
    return Number(this.s.planAdd.run(JSON.stringify(action)).lastInsertRowid);
  }

  /** Appends actions in order, in one transaction. */
  planAddMany(actions: readonly Action[]): void {
    faultPoint('plan: add many');
    this.addPlanMany(actions);
  }

  /**
   * Up to `limit` actions with seq above `afterSeq` (0 for the first), in seq order. Keys whose value is
   * undefined do not survive (JSON drops them), which is the same as leaving them out.
   */
  planPage(afterSeq: number, limit: number): { seq: number; action: Action }[] {
    return this.s.planPage
      .all(afterSeq, limit)
      .map((r) => ({ seq: r.seq, action: JSON.parse(r.action) as Action }));
  }

  planCount(): number {
    return this.s.planCount.get()?.n ?? 0;
  }
}

function prepareAll(db: Database.Database) {
  const p = <P extends unknown[], R = unknown>(sql: string) => db.prepare<P, R>(sql);
  return {
    get: p<Key, EntryRow>('SELECT * FROM entries WHERE key = ?'),
    put: p<[Buffer, ...EntryParams, ...EntryParams]>(
      `INSERT OR REPLACE INTO entries
         (key, l_kind, l_size, l_mtime, l_mode, l_ino, l_target, r_kind, r_size, r_mtime, r_mode, r_ino, r_target)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    delete: p<Key>('DELETE FROM entries WHERE key = ?'),
    // Rows as arrays (the column order of the table): objects cost 1.7x the time over a whole archive.
    pageFirst: p<[number], RawEntryRow>('SELECT * FROM entries ORDER BY key LIMIT ?').raw(),
    pageAfter: p<[Buffer, number], RawEntryRow>(
      'SELECT * FROM entries WHERE key > ? ORDER BY key LIMIT ?',
    ).raw(),
    count: p<[], Count>('SELECT count(*) AS n FROM entries'),
    countFiles: p<[], Count>("SELECT count(*) AS n FROM entries WHERE r_kind <> 'dir'"),
    localCopyBytes: p<[], Count>("SELECT coalesce(sum(l_size), 0) AS n FROM entries WHERE l_kind = 'file'"),
    touch: p<[Buffer, number]>(
      'INSERT INTO access (key, last_open) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last_open = excluded.last_open',
    ),
    lru: p<[number, number], EntryRow & { last_open: number }>(
      `SELECT e.*, coalesce(a.last_open, 0) AS last_open FROM entries e LEFT JOIN access a ON a.key = e.key
       WHERE e.l_kind = 'file' AND e.r_kind = 'file' ORDER BY last_open, e.key LIMIT ? OFFSET ?`,
    ),
    forgetAccess: p<Key>('DELETE FROM access WHERE key = ?'),
    dirsFirst: p<[number], { key: Buffer }>(
      "SELECT key FROM entries WHERE r_kind = 'dir' ORDER BY key LIMIT ?",
    ),
    dirsAfter: p<[Buffer, number], { key: Buffer }>(
      "SELECT key FROM entries WHERE r_kind = 'dir' AND key > ? ORDER BY key LIMIT ?",
    ),
    countLocal: p<[], { placeholders: number; copies: number }>(
      `SELECT coalesce(sum(l_kind = 'placeholder'), 0) AS placeholders,
              coalesce(sum(l_kind = 'file' AND r_kind = 'file'), 0) AS copies FROM entries`,
    ),
    // A cheap prefilter on the key bytes; the caller checks the name exactly (names.ts).
    conflictCopies: p<[], EntryRow>(
      "SELECT * FROM entries WHERE instr(key, CAST('.conflict-' AS BLOB)) > 0 ORDER BY key",
    ),
    getMeta: p<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: p<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    journalAdd: p<[Buffer, string, Side | null, Buffer | null, number]>(
      'INSERT INTO journal (key, op, side, temp, started) VALUES (?, ?, ?, ?, ?)',
    ),
    journalSetTemp: p<[Buffer, number]>('UPDATE journal SET temp = ? WHERE id = ?'),
    journalDone: p<[number]>('DELETE FROM journal WHERE id = ?'),
    journalList: p<[], JournalRow>('SELECT * FROM journal ORDER BY id'),
    problemSet: p<[Buffer, string, number, number]>(
      `INSERT INTO problems (key, message, count, first, last) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET message = excluded.message, count = count + 1, last = excluded.last`,
    ),
    problemClear: p<Key>('DELETE FROM problems WHERE key = ?'),
    problemGet: p<Key, ProblemRow>('SELECT * FROM problems WHERE key = ?'),
    problemList: p<[], ProblemRow>('SELECT * FROM problems ORDER BY key'),
    problemCount: p<[], Count>('SELECT count(*) AS n FROM problems'),
    skipGet: p<Key, { message: string }>('SELECT message FROM skips WHERE key = ?'),
    skipSet: p<[Buffer, string, number]>(
      'INSERT OR REPLACE INTO skips (key, message, first) VALUES (?, ?, ?)',
    ),
    skipClear: p<Key>('DELETE FROM skips WHERE key = ?'),
    skipList: p<[], { key: Buffer; message: string; first: number }>('SELECT * FROM skips ORDER BY key'),
    skipCount: p<[], Count>('SELECT count(*) AS n FROM skips'),
    planClear: p<[]>('DELETE FROM plan'),
    planAdd: p<[string]>('INSERT INTO plan (action) VALUES (?)'),
    planPage: p<[number, number], { seq: number; action: string }>(
      'SELECT seq, action FROM plan WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    planCount: p<[], Count>('SELECT count(*) AS n FROM plan'),
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

function toProblem(r: ProblemRow): Problem {
  return { path: decodeKey(r.key), message: r.message, count: r.count, first: r.first, last: r.last };
}
