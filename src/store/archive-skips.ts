// The archive's skips: paths left out on purpose because the remote cannot store them (not failures), kept
// so that each is warned about once. For Archive.
import type Database from 'better-sqlite3';
import type { RelPath } from '../core/types.js';
import { decodeKey, encodeKey, type CountRow, type KeyParams } from './codec.js';

/** The statements on the skips table; Archive documents what each method means. */
export class SkipsTable {
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly now: () => number,
  ) {
    this.s = prepare(db);
  }

  set(path: RelPath, message: string): boolean {
    const key = encodeKey(path);
    if (this.s.get.get(key)?.message === message) return false;
    this.s.set.run(key, message, this.now());
    return true;
  }

  clear(path: RelPath): void {
    this.s.clear.run(encodeKey(path));
  }

  list(): { path: RelPath; message: string; first: number }[] {
    return this.s.list.all().map((r) => ({ path: decodeKey(r.key), message: r.message, first: r.first }));
  }

  count(): number {
    return this.s.count.get()?.n ?? 0;
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare<KeyParams, { message: string }>('SELECT message FROM skips WHERE key = ?'),
    set: db.prepare<[Buffer, string, number]>(
      'INSERT OR REPLACE INTO skips (key, message, first) VALUES (?, ?, ?)',
    ),
    clear: db.prepare<KeyParams>('DELETE FROM skips WHERE key = ?'),
    list: db.prepare<[], { key: Buffer; message: string; first: number }>('SELECT * FROM skips ORDER BY key'),
    count: db.prepare<[], CountRow>('SELECT count(*) AS n FROM skips'),
  };
}
