// The archive's plan spool: the actions of the current pass on disk, in order, so that a huge plan is never
// held in memory. For Archive.
import type Database from 'better-sqlite3';
import type { Action } from '../core/types.js';
import { faultPoint } from '../fault.js';
import type { CountRow } from './codec.js';

/** The statements on the plan table; Archive documents what each method means. */
export class PlanSpool {
  private readonly s: ReturnType<typeof prepare>;
  private readonly addInTransaction: Database.Transaction<(actions: readonly Action[]) => void>;
  private readonly dropInTransaction: Database.Transaction<(seqs: readonly number[]) => void>;

  constructor(db: Database.Database) {
    this.s = prepare(db);
    this.addInTransaction = db.transaction((actions: readonly Action[]) => {
      for (const a of actions) this.s.add.run(JSON.stringify(a));
    });
    this.dropInTransaction = db.transaction((seqs: readonly number[]) => {
      for (const seq of seqs) this.s.drop.run(seq);
    });
  }

  clear(): void {
    faultPoint('plan: clear');
    this.s.clear.run();
  }

  add(action: Action): number {
    faultPoint('plan: add', action.path);
    return Number(this.s.add.run(JSON.stringify(action)).lastInsertRowid);
  }

  addMany(actions: readonly Action[]): void {
    faultPoint('plan: add many');
    this.addInTransaction(actions);
  }

  drop(seqs: readonly number[]): void {
    faultPoint('plan: drop');
    this.dropInTransaction(seqs);
  }

  page(afterSeq: number, limit: number): { seq: number; action: Action }[] {
    return this.s.page
      .all(afterSeq, limit)
      .map((r) => ({ seq: r.seq, action: JSON.parse(r.action) as Action }));
  }

  count(): number {
    return this.s.count.get()?.n ?? 0;
  }
}

function prepare(db: Database.Database) {
  return {
    clear: db.prepare<[]>('DELETE FROM plan'),
    add: db.prepare<[string]>('INSERT INTO plan (action) VALUES (?)'),
    page: db.prepare<[number, number], { seq: number; action: string }>(
      'SELECT seq, action FROM plan WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    count: db.prepare<[], CountRow>('SELECT count(*) AS n FROM plan'),
    drop: db.prepare<[number]>('DELETE FROM plan WHERE seq = ?'),
  };
}
