// The archive of one pair: synced state of every path, meta facts, the journal, problems, skips, the plan
// spool and the ledger of versions. One class over the state database; each table's statements are in its
// own archive-*.ts.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Action, ArchiveRecord, Entry, RelPath, Side } from '../core/types.js';
import { hasCode } from '../errors.js';
import { faultPoint } from '../fault.js';
import { EntriesTable } from './archive-entries.js';
import { JournalTable, type JournalEntry } from './archive-journal.js';
import { PlanSpool } from './archive-plan.js';
import { ProblemsTable, type Problem } from './archive-problems.js';
import { SkipsTable } from './archive-skips.js';
import { VersionLedger } from './archive-versions.js';
import { archiveSubtree } from './subtree.js';
import { ensureStateDir, openStateDb } from './db.js';

export type { JournalEntry, Problem };

export interface ArchiveOptions {
  /** The clock for journal and problem times (tests pass a fake one). */
  now?: () => number;
}

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
  private readonly entries: EntriesTable;
  private readonly journal: JournalTable;
  private readonly problems: ProblemsTable;
  private readonly skips: SkipsTable;
  private readonly plan: PlanSpool;
  /** The versions this pair made on both sides (what pruning may remove). */
  readonly versions: VersionLedger;
  private readonly meta: {
    get: Database.Statement<[string], { value: string }>;
    set: Database.Statement<[string, string]>;
  };

  private constructor(file: string, db: Database.Database, now: () => number) {
    this.file = file;
    this.db = db;
    this.entries = new EntriesTable(db);
    this.journal = new JournalTable(db, now);
    this.problems = new ProblemsTable(db, now);
    this.skips = new SkipsTable(db, now);
    this.plan = new PlanSpool(db);
    this.versions = new VersionLedger(db);
    this.meta = {
      get: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      set: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
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
    return this.entries.get(path);
  }

  /** Inserts or replaces the record of `rec.path`. */
  put(rec: ArchiveRecord): void {
    this.entries.put(rec);
  }

  /** Removes the record of `path`; true if there was one. */
  delete(path: RelPath): boolean {
    return this.entries.delete(path);
  }

  /**
   * Renames the record of `from` and every record below it to the same path below `to`, in one
   * transaction, with their access times; `localOf` gives each its local entry at the new path (a
   * placeholder's link text names its path). Returns how many records moved.
   */
  moveTree(from: RelPath, to: RelPath, localOf: (path: RelPath, local: Entry) => Entry): number {
    return this.transaction(() => {
      let n = 0;
      // The walk reads a page at a time after the last path it gave, and every new path is outside `from`.
      for (const r of archiveSubtree(this, from, 500)) {
        const path = to + r.path.slice(from.length);
        this.entries.rekey(r.path, { path, local: localOf(path, r.local), remote: r.remote });
        n++;
      }
      return n;
    });
  }

  /**
   * Up to `limit` records after `after` (from the first if undefined), in comparePaths order. `after` need
   * not be in the archive. Pass the last path of a page to get the next one; no cursor stays open between
   * calls, so the archive can be written while it is being read this way.
   */
  page(after: RelPath | undefined, limit: number): ArchiveRecord[] {
    return this.entries.page(after, limit);
  }

  count(): number {
    return this.entries.count();
  }

  /** Records whose remote entry is not a directory. */
  countFiles(): number {
    return this.entries.countFiles();
  }

  // ---- local copies: sizes, last opens, the watch set ----

  /** Total bytes of local copies (local kind 'file'): what --cache-max limits. */
  localCopyBytes(): number {
    return this.entries.localCopyBytes();
  }

  /** Marks paths as opened at `when` (one transaction). */
  touch(paths: Iterable<RelPath>, when: number): void {
    faultPoint('archive: touch');
    this.transaction(() => {
      for (const p of paths) this.entries.touch(p, when);
    });
  }

  /**
   * Local copies of remote files, least recently opened first (never-opened ones first of all), skipping
   * the first `offset`. For eviction: the caller skips the ones it keeps by raising the offset.
   */
  leastRecentlyOpened(limit: number, offset: number): (ArchiveRecord & { lastOpen: number })[] {
    return this.entries.leastRecentlyOpened(limit, offset);
  }

  /** Remote directories in key order after `after`: the directories whose opens are watched. */
  remoteDirs(after: RelPath | undefined, limit: number): RelPath[] {
    return this.entries.remoteDirs(after, limit);
  }

  /** How many paths are placeholders and how many are local copies of remote files. */
  countLocal(): { placeholders: number; localCopies: number } {
    return this.entries.countLocal();
  }

  /** Records whose name looks like a conflict copy (NAME.conflict-STAMP.EXT). */
  conflictCopies(): ArchiveRecord[] {
    return this.entries.conflictCopies();
  }

  // ---- meta ----

  getMeta(key: string): string | undefined {
    return this.meta.get.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    faultPoint('archive: set meta', key);
    this.meta.set.run(key, value);
  }

  // ---- journal ----

  /** Records an action about to start; returns its id for journalSetTemp and journalDone. */
  journalAdd(j: { path: RelPath; op: string; side?: Side; temp?: Buffer; target?: RelPath }): number {
    return this.journal.add(j);
  }

  journalSetTemp(id: number, temp: Buffer): void {
    this.journal.setTemp(id, temp);
  }

  /** The action finished (or was rolled back): forget it. */
  journalDone(id: number): void {
    this.journal.done(id);
  }

  /** Actions journalled and not done, oldest first. */
  journalList(): JournalEntry[] {
    return this.journal.list();
  }

  // ---- problems ----

  /** Records a failure on `path`: the first one sets `first`, each one counts and sets message and `last`. */
  problemSet(path: RelPath, message: string): void {
    this.problems.set(path, message);
  }

  problemClear(path: RelPath): void {
    this.problems.clear(path);
  }

  problemGet(path: RelPath): Problem | undefined {
    return this.problems.get(path);
  }

  /** All problems, in comparePaths order. */
  problemList(): Problem[] {
    return this.problems.list();
  }

  problemCount(): number {
    return this.problems.count();
  }

  // ---- skips: paths left out because the remote cannot store them ----

  /** Records that `path` is left out; true if it was not already left out for the same reason. */
  skipSet(path: RelPath, message: string): boolean {
    return this.skips.set(path, message);
  }

  skipClear(path: RelPath): void {
    this.skips.clear(path);
  }

  /** Every path left out, in comparePaths order. */
  skipList(): { path: RelPath; message: string; first: number }[] {
    return this.skips.list();
  }

  skipCount(): number {
    return this.skips.count();
  }

  // ---- plan spool ----

  planClear(): void {
    this.plan.clear();
  }

  /** Appends one action; returns its seq (1, 2, ... after planClear). Prefer planAddMany in bulk. */
  planAdd(action: Action): number {
    return this.plan.add(action);
  }

  /** Appends actions in order, in one transaction. */
  planAddMany(actions: readonly Action[]): void {
    this.plan.addMany(actions);
  }

  /**
   * Up to `limit` actions with seq above `afterSeq` (0 for the first), in seq order. Keys whose value is
   * undefined do not survive (JSON drops them), which is the same as leaving them out.
   */
  /** Removes these steps from the spool (one transaction). */
  planDrop(seqs: readonly number[]): void {
    this.plan.drop(seqs);
  }

  planPage(afterSeq: number, limit: number): { seq: number; action: Action }[] {
    return this.plan.page(afterSeq, limit);
  }

  planCount(): number {
    return this.plan.count();
  }
}
