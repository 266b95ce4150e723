// Training-control requests and their outcomes, in a table of their own beside the run's event log.
import type Database from 'better-sqlite3';
import type { Control, ControlAction, ControlOutcome } from '../domain/streams.ts';

interface ControlRow {
  id: string;
  run: string;
  action: string;
  reason: string | null;
  requested_at: number;
  seq: number;
  delivered_at: number | null;
  acked_at: number | null;
  outcome: string | null;
  message: string | null;
}

const toControl = (row: ControlRow): Control => ({ ...row, action: row.action as ControlAction, outcome: row.outcome as ControlOutcome | null });

/** Pending means not acknowledged: a request stays pending through any number of deliveries. */
export class ControlRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS control_requests (
      id TEXT PRIMARY KEY,
      run TEXT NOT NULL,
      action TEXT NOT NULL,
      reason TEXT,
      requested_at INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      delivered_at INTEGER,
      acked_at INTEGER,
      outcome TEXT,
      message TEXT
    );
    CREATE INDEX IF NOT EXISTS control_requests_run ON control_requests (run, requested_at);`);
    this.stmts = {
      insert: db.prepare<[string, string, string, string | null, number, number]>(
        'INSERT INTO control_requests (id, run, action, reason, requested_at, seq) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare<[string], ControlRow>('SELECT * FROM control_requests WHERE id = ?'),
      list: db.prepare<[string, number], ControlRow>('SELECT * FROM control_requests WHERE run = ? ORDER BY requested_at, seq LIMIT ?'),
      pending: db.prepare<[string], ControlRow>('SELECT * FROM control_requests WHERE run = ? AND acked_at IS NULL ORDER BY seq'),
      delivered: db.prepare<[number, string]>('UPDATE control_requests SET delivered_at = ? WHERE id = ?'),
      ack: db.prepare<[number, string, string | null, string]>(
        'UPDATE control_requests SET acked_at = ?, outcome = ?, message = ? WHERE id = ? AND acked_at IS NULL',
      ),
    };
  }

  insert(c: Pick<Control, 'id' | 'run' | 'action' | 'reason' | 'requested_at' | 'seq'>): void {
    this.stmts.insert.run(c.id, c.run, c.action, c.reason, c.requested_at, c.seq);
  }

  get(id: string): Control | undefined {
    const row = this.stmts.get.get(id);
    return row && toControl(row);
  }

  list(run: string, limit = 1000): Control[] {
    return this.stmts.list.all(run, limit).map(toControl);
  }

  pending(run: string): Control[] {
    return this.stmts.pending.all(run).map(toControl);
  }

  markDelivered(id: string, now: number): void {
    this.stmts.delivered.run(now, id);
  }

  /** False when it was acknowledged before: the first outcome stands. */
  ack(id: string, outcome: ControlOutcome, message: string | null, now: number): boolean {
    return this.stmts.ack.run(now, outcome, message, id).changes === 1;
  }
}
