import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bundledMigrations, latestVersion, loadMigrations, migrate, userVersion } from './migrate.js';

const dirs: string[] = [];
function migrationsDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'lazysync-migrate-'));
  dirs.push(d);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(d, name), sql);
  return d;
}

const tables = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

describe('migrations', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('ships 001-init to 005-versions with their tables', () => {
    const ms = bundledMigrations();
    assert.deepEqual(
      ms.map((m) => m.name),
      ['001-init.sql', '002-access.sql', '003-skips.sql', '004-journal-target.sql', '005-versions.sql'],
    );
    const db = new Database(':memory:');
    assert.deepEqual(migrate(db, ms), [1, 2, 3, 4, 5]);
    assert.deepEqual(tables(db), [
      'access',
      'entries',
      'journal',
      'meta',
      'plan',
      'problems',
      'skips',
      'versions',
    ]);
    assert.equal(userVersion(db), latestVersion(ms));
    db.close();
  });

  it('applies files above user_version in numeric order, once', () => {
    const dir = migrationsDir({
      '002-second.sql': "CREATE TABLE t2 (x); INSERT INTO t1 VALUES ('from 2');",
      '001-first.sql': 'CREATE TABLE t1 (x);',
      '010-tenth.sql': "INSERT INTO t1 VALUES ('from 10');",
      'README.md': 'not a migration',
      '01-bad-name.sql': 'this is ignored',
    });
    const ms = loadMigrations(dir);
    assert.deepEqual(
      ms.map((m) => m.version),
      [1, 2, 10],
    );
    const db = new Database(':memory:');
    assert.deepEqual(migrate(db, ms.slice(0, 2)), [1, 2]);
    assert.deepEqual(migrate(db, ms), [10]);
    assert.deepEqual(migrate(db, ms), []);
    assert.equal(userVersion(db), 10);
    assert.deepEqual(db.prepare('SELECT x FROM t1').pluck().all(), ['from 2', 'from 10']);
    db.close();
  });

  it('rolls back a failing migration and keeps the version before it', () => {
    const dir = migrationsDir({
      '001-a.sql': 'CREATE TABLE t1 (x);',
      '002-b.sql': 'CREATE TABLE t2 (x); THIS IS NOT SQL;',
    });
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, loadMigrations(dir)), /migration 002-b\.sql failed/);
    assert.equal(userVersion(db), 1);
    assert.deepEqual(tables(db), ['t1']);
    db.close();
  });

  it('refuses two files with the same number', () => {
    const dir = migrationsDir({ '001-a.sql': '', '001-b.sql': '' });
    assert.throws(() => loadMigrations(dir), /same version/);
  });
});
