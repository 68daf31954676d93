import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LazysyncError } from '../errors.js';
import { Archive } from './archive.js';

const dirs: string[] = [];
function stateDirWith(content?: Buffer): string {
  const d = mkdtempSync(join(tmpdir(), 'lazysync-db-'));
  dirs.push(d);
  const sd = join(d, '.lazysync');
  mkdirSync(sd, { mode: 0o700 });
  if (content) writeFileSync(join(sd, 'state.db'), content);
  return sd;
}

/** Asserts Archive.open refuses `sd` as archive-corrupt with `what` in the message, leaving state.db as it was. */
function assertRefused(sd: string, what: RegExp): void {
  const file = join(sd, 'state.db');
  const before = readFileSync(file);
  assert.throws(
    () => Archive.open(sd),
    (e: unknown) => {
      assert.ok(e instanceof LazysyncError);
      assert.equal(e.code, 'archive-corrupt');
      assert.ok(e.message.startsWith(`${file}: `), e.message);
      assert.match(e.message, what);
      assert.match(e.message, /; move it away to start over \(lazysync will rebuild it from both sides\)$/);
      return true;
    },
  );
  assert.deepEqual(readFileSync(file), before, 'state.db changed');
}

function makeForeign(sd: string, sql: string, wal = false): void {
  const db = new Database(join(sd, 'state.db'));
  if (wal) db.pragma('journal_mode = WAL');
  db.exec(sql);
  db.close();
}

describe('openStateDb via Archive.open', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('refuses random bytes and creates nothing next to them', () => {
    const sd = stateDirWith(randomBytes(8192));
    assertRefused(sd, /not a SQLite database/);
    assert.deepEqual(readdirSync(sd), ['state.db']);
  });

  it('refuses a short text file', () => {
    assertRefused(stateDirWith(Buffer.from('hello\n')), /not a SQLite database/);
  });

  it('refuses a SQLite header followed by garbage', () => {
    const sd = stateDirWith(Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), randomBytes(8192)]));
    assertRefused(sd, /./);
  });

  it("refuses someone else's SQLite database (rollback journal and WAL)", () => {
    const sd1 = stateDirWith();
    makeForeign(sd1, "CREATE TABLE foo (x); INSERT INTO foo VALUES ('data')");
    assertRefused(sd1, /not lazysync's \(no meta table\)/);
    const sd2 = stateDirWith();
    makeForeign(sd2, "CREATE TABLE foo (x); INSERT INTO foo VALUES ('data')", true);
    assertRefused(sd2, /not lazysync's/);
  });

  it('refuses a database whose meta is not ours', () => {
    const sd1 = stateDirWith();
    makeForeign(sd1, "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('app', 'other')");
    assertRefused(sd1, /meta\.app is not 'lazysync'/);
    const sd2 = stateDirWith();
    makeForeign(sd2, 'CREATE TABLE meta (a, b)');
    assertRefused(sd2, /meta table has another shape/);
    const sd3 = stateDirWith();
    makeForeign(sd3, 'PRAGMA user_version = 7');
    assertRefused(sd3, /user_version 7/);
  });

  it('refuses a schema newer than this build', () => {
    const sd = stateDirWith();
    Archive.open(sd).close();
    const db = new Database(join(sd, 'state.db'));
    db.pragma('user_version = 999');
    db.close();
    assertRefused(sd, /newer lazysync \(schema 999; this one knows up to \d+\)/);
  });

  it('refuses our tables without a schema version', () => {
    const sd = stateDirWith();
    Archive.open(sd).close();
    const db = new Database(join(sd, 'state.db'));
    db.pragma('user_version = 0');
    db.close();
    assertRefused(sd, /no schema version/);
  });

  it('takes an empty file as a new database', () => {
    const sd = stateDirWith(Buffer.alloc(0));
    const a = Archive.open(sd);
    assert.equal(a.getMeta('app'), 'lazysync');
    a.close();
  });

  it('opens a database left with its WAL after a crash (readonly check falls back or reads it)', () => {
    const sd = stateDirWith();
    const a = Archive.open(sd);
    a.setMeta('k', 'v');
    // Copy the files while the connection is open: the copy has a -wal and no clean close, like after kill -9.
    const copy = stateDirWith();
    for (const name of readdirSync(sd)) writeFileSync(join(copy, name), readFileSync(join(sd, name)));
    a.close();
    assert.ok(readdirSync(copy).includes('state.db-wal'));
    const b = Archive.open(copy);
    assert.equal(b.getMeta('k'), 'v');
    b.close();
  });

  it('reports a state.db that cannot be read as local-unavailable', () => {
    const sd = stateDirWith();
    mkdirSync(join(sd, 'state.db'));
    assert.throws(() => Archive.open(sd), { code: 'local-unavailable' });
  });
});
