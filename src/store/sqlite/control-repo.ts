import type { Control, ControlOutcome } from '../../domain/streams.ts';
import type { ControlStore } from '../control.ts';
import { toControl, type ControlRow } from '../module-rows.ts';
import type { SqliteConnection } from './connection.ts';

/** Training-control requests in SQLite. */
export class ControlRepo implements ControlStore {
  private readonly stmts;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
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

  async insert(c: Pick<Control, 'id' | 'run' | 'action' | 'reason' | 'requested_at' | 'seq'>): Promise<void> {
    await this.conn.write(() => this.stmts.insert.run(c.id, c.run, c.action, c.reason, c.requested_at, c.seq));
  }

  async get(id: string): Promise<Control | undefined> {
    const row = this.stmts.get.get(id);
    return row && toControl(row);
  }

  async list(run: string, limit = 1000): Promise<Control[]> {
    return this.stmts.list.all(run, limit).map(toControl);
  }

  async pending(run: string): Promise<Control[]> {
    return this.stmts.pending.all(run).map(toControl);
  }

  async markDelivered(id: string, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.delivered.run(now, id));
  }

  async ack(id: string, outcome: ControlOutcome, message: string | null, now: number): Promise<boolean> {
    return (await this.conn.write(() => this.stmts.ack.run(now, outcome, message, id))).changes === 1;
  }
}
