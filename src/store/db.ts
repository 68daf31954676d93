// Opening the state database: refuse a file that is not ours without touching it, then WAL + migrations.
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import { hasCode, isFsError, LazysyncError, messageOf } from '../errors.js';
import { bundledMigrations, latestVersion, migrate, userVersion, type Migration } from './migrate.js';

/** How long a statement waits for a lock held by another connection before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Creates the state folder (L/.lazysync) with mode 0700 if missing; 'local-unavailable' if it cannot. */
export function ensureStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const what = isFsError(e) ? e.code : messageOf(e);
    throw new LazysyncError('local-unavailable', `${stateDir}: cannot create the state folder (${what})`, {
      cause: e,
    });
  }
}

/**
 * Opens (creating if missing) the state database `file` in WAL mode with synchronous=NORMAL, migrated to
 * the latest schema.
 *
 * Refuses with 'archive-corrupt', and without writing to the file, when it is not a SQLite database, is a
 * SQLite database that is not lazysync's (it has tables but no meta.app = 'lazysync'), or has a schema
 * newer than `migrations` know. A file that cannot be read at all is 'local-unavailable'.
 * An empty (0-byte) file is a database with nothing in it yet, as SQLite itself sees it.
 */
export function openStateDb(
  file: string,
  migrations: readonly Migration[] = bundledMigrations(),
): Database.Database {
  const latest = latestVersion(migrations);
  if (hasContent(file)) inspectExisting(file, latest);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw refusal(file, messageOf(e), e);
  }
  try {
    // The first writes: only now that the file is known to be ours (or new).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A pass reads the whole archive in order; SQLite's default 2 MiB page cache made that a read syscall
    // per page (100,000 records: 1.1 s, 0.7 s with 16 MiB). Bounded, so memory stays flat at any size.
    db.pragma('cache_size = -16384');
    migrate(db, migrations);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** True if `file` exists and is not empty; throws 'archive-corrupt' if it does not start as SQLite does. */
function hasContent(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return false;
    throw unreadable(file, e);
  }
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    let n: number;
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } catch (e) {
      throw unreadable(file, e);
    }
    if (n === 0) return false;
    if (n < head.length || !head.equals(SQLITE_MAGIC)) throw refusal(file, 'not a SQLite database');
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks an existing database through a read-only connection, so that nothing (not even a WAL checkpoint
 * at close) is written to a file that turns out not to be ours. If SQLite cannot give a read-only
 * connection here (a WAL it must recover, a hot rollback journal), the check runs on a read-write
 * connection instead, still with reads only.
 */
function inspectExisting(file: string, latest: number): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    inspect(db, file, latest);
  } catch (e) {
    if (!needsWritableConnection(e)) throw asRefusal(file, e);
    db?.close();
    db = undefined;
    try {
      db = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      inspect(db, file, latest);
    } catch (e2) {
      throw asRefusal(file, e2);
    }
  } finally {
    db?.close();
  }
}

function inspect(db: Database.Database, file: string, latest: number): void {
  const version = userVersion(db);
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'")
    .all()
    .map((r) => r.name);
  if (tables.length === 0) {
    if (version !== 0)
      throw refusal(file, `a SQLite database that is not lazysync's (user_version ${version})`);
    return; // empty: migrations will create everything
  }
  if (!tables.includes('meta'))
    throw refusal(file, "a SQLite database that is not lazysync's (no meta table)");
  let app: string | undefined;
  try {
    app = db.prepare<[], { value: unknown }>("SELECT value FROM meta WHERE key = 'app'").get()
      ?.value as string;
  } catch (e) {
    throw refusal(file, "a SQLite database that is not lazysync's (its meta table has another shape)", e);
  }
  if (app !== 'lazysync')
    throw refusal(file, "a SQLite database that is not lazysync's (meta.app is not 'lazysync')");
  if (version === 0) throw refusal(file, 'it has tables but no schema version');
  if (version > latest) {
    throw refusal(
      file,
      `it was written by a newer lazysync (schema ${version}; this one knows up to ${latest})`,
    );
  }
}

function needsWritableConnection(e: unknown): boolean {
  return (
    e instanceof Database.SqliteError &&
    (e.code.startsWith('SQLITE_READONLY') || e.code.startsWith('SQLITE_CANTOPEN'))
  );
}

function asRefusal(file: string, e: unknown): LazysyncError {
  if (e instanceof LazysyncError) return e;
  return refusal(file, messageOf(e), e);
}

function refusal(file: string, what: string, cause?: unknown): LazysyncError {
  return new LazysyncError(
    'archive-corrupt',
    `${file}: ${what}; move it away to start over (lazysync will rebuild it from both sides)`,
    cause === undefined ? undefined : { cause },
  );
}

function unreadable(file: string, e: unknown): LazysyncError {
  const what = isFsError(e) ? e.code : messageOf(e);
  return new LazysyncError('local-unavailable', `${file}: cannot read the state database (${what})`, {
    cause: e,
  });
}
