// The archive's journal: actions started and not yet done, with the temp file each one writes, so that a
// restart after a crash knows what was in flight and which temp files to remove. For Archive.
import type Database from 'better-sqlite3';
import type { RelPath, Side } from '../core/types.js';
import { faultPoint } from '../fault.js';
import { decodeKey, encodeKey } from './codec.js';

export interface JournalEntry {
  id: number;
  path: RelPath;
  op: string;
  side?: Side;
  /** Path of the temporary file, as bytes, once the action has one. */
  temp?: Buffer;
  /** Where a move renames `path` to. */
  target?: RelPath;
  /** Date.now() when the action was journalled. */
  started: number;
}

interface JournalRow {
  id: number;
  key: Buffer;
  op: string;
  side: Side | null;
  temp: Buffer | null;
  started: number;
  target: Buffer | null;
}

/** The statements on the journal table; Archive documents what each method means. */
export class JournalTable {
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly now: () => number,
  ) {
    this.s = prepare(db);
  }

  add(j: { path: RelPath; op: string; side?: Side; temp?: Buffer; target?: RelPath }): number {
    faultPoint('journal: add', j.path);
    const target = j.target === undefined ? null : encodeKey(j.target);
    const r = this.s.add.run(encodeKey(j.path), j.op, j.side ?? null, j.temp ?? null, this.now(), target);
    return Number(r.lastInsertRowid);
  }

  setTemp(id: number, temp: Buffer): void {
    faultPoint('journal: set temp', temp);
    this.s.setTemp.run(temp, id);
  }

  done(id: number): void {
    faultPoint('journal: done');
    this.s.done.run(id);
  }

  list(): JournalEntry[] {
    return this.s.list.all().map((r) => {
      const j: JournalEntry = { id: r.id, path: decodeKey(r.key), op: r.op, started: r.started };
      if (r.side !== null) j.side = r.side;
      if (r.temp !== null) j.temp = r.temp;
      if (r.target !== null) j.target = decodeKey(r.target);
      return j;
    });
  }
}

function prepare(db: Database.Database) {
  return {
    add: db.prepare<[Buffer, string, Side | null, Buffer | null, number, Buffer | null]>(
      'INSERT INTO journal (key, op, side, temp, started, target) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setTemp: db.prepare<[Buffer, number]>('UPDATE journal SET temp = ? WHERE id = ?'),
    done: db.prepare<[number]>('DELETE FROM journal WHERE id = ?'),
    list: db.prepare<[], JournalRow>('SELECT * FROM journal ORDER BY id'),
  };
}
