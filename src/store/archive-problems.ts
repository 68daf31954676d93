// The archive's problems: paths that failed in recent passes, retried at the next pass and shown in the
// status with how often they failed. For Archive.
import type Database from 'better-sqlite3';
import type { RelPath } from '../core/types.js';
import { faultPoint } from '../fault.js';
import { decodeKey, encodeKey, type CountRow, type KeyParams } from './codec.js';

export interface Problem {
  path: RelPath;
  message: string;
  /** How many times in a row this path failed. */
  count: number;
  /** Date.now() of the first and of the latest failure. */
  first: number;
  last: number;
}

interface ProblemRow {
  key: Buffer;
  message: string;
  count: number;
  first: number;
  last: number;
}

/** The statements on the problems table; Archive documents what each method means. */
export class ProblemsTable {
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly now: () => number,
  ) {
    this.s = prepare(db);
  }

  set(path: RelPath, message: string): void {
    faultPoint('problem: set', path);
    const t = this.now();
    this.s.set.run(encodeKey(path), message, t, t);
  }

  clear(path: RelPath): void {
    faultPoint('problem: clear', path);
    this.s.clear.run(encodeKey(path));
  }

  get(path: RelPath): Problem | undefined {
    const row = this.s.get.get(encodeKey(path));
    return row && toProblem(row);
  }

  list(): Problem[] {
    return this.s.list.all().map(toProblem);
  }

  count(): number {
    return this.s.count.get()?.n ?? 0;
  }
}

function prepare(db: Database.Database) {
  return {
    set: db.prepare<[Buffer, string, number, number]>(
      `INSERT INTO problems (key, message, count, first, last) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET message = excluded.message, count = count + 1, last = excluded.last`,
    ),
    clear: db.prepare<KeyParams>('DELETE FROM problems WHERE key = ?'),
    get: db.prepare<KeyParams, ProblemRow>('SELECT * FROM problems WHERE key = ?'),
    list: db.prepare<[], ProblemRow>('SELECT * FROM problems ORDER BY key'),
    count: db.prepare<[], CountRow>('SELECT count(*) AS n FROM problems'),
  };
}

function toProblem(r: ProblemRow): Problem {
  return { path: decodeKey(r.key), message: r.message, count: r.count, first: r.first, last: r.last };
}
