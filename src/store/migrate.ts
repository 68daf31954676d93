// Schema migrations: numbered `NNN-name.sql` files applied in order, the version kept in PRAGMA user_version.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

export interface Migration {
  /** NNN of the file name; after the file is applied, user_version is this number. */
  version: number;
  name: string;
  sql: string;
}

/** Next to the compiled module: the build copies src/store/migrations/ to dist/src/store/migrations/. */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

const FILE_NAME = /^(\d{3})-.+\.sql$/;

let bundled: Migration[] | undefined;

/** The migrations shipped with this build, read once. */
export function bundledMigrations(): Migration[] {
  bundled ??= loadMigrations(MIGRATIONS_DIR);
  return bundled;
}

/**
 * Every `NNN-*.sql` file of `dir`, sorted by NNN. Throws if two files share a number or a number is 000:
 * that is a packaging bug, never something to run around.
 */
export function loadMigrations(dir: URL | string): Migration[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const list: Migration[] = [];
  for (const name of readdirSync(path)) {
    const m = FILE_NAME.exec(name);
    if (!m) continue;
    const version = Number(m[1]);
    if (version === 0) throw new Error(`migration ${name}: versions start at 001`);
    list.push({ version, name, sql: readFileSync(join(path, name), 'utf8') });
  }
  list.sort((a, b) => a.version - b.version);
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1];
    const cur = list[i];
    if (prev && cur && prev.version === cur.version) {
      throw new Error(`migrations ${prev.name} and ${cur.name} have the same version`);
    }
  }
  return list;
}

/** The schema version a database has after all of `migrations` (0 if there are none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies, in order, each migration whose version is above the database's user_version, each in its own
 * transaction together with the new user_version: a failure leaves the database at the last version that
 * fully applied. Running it again is a no-op. Returns the versions applied.
 * The caller has already refused a database newer than `migrations` (see db.ts).
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number[] {
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= userVersion(db)) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      apply.immediate();
    } catch (e) {
      throw new Error(`migration ${m.name} failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    applied.push(m.version);
  }
  return applied;
}
