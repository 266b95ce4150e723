// Training-control requests and their outcomes in PostgreSQL, beside the run's event log.
import type { Control, ControlOutcome } from '../../domain/streams.ts';
import type { ControlStore } from '../control.ts';
import { toControl, type ControlRow } from '../module-rows.ts';
import type { PgDatabase } from './pool.ts';

const COLUMNS = 'id, run, action, reason, requested_at, seq, delivered_at, acked_at, outcome, message';

/** Pending means not acknowledged: a request stays pending through any number of deliveries. */
export class PgControlStore implements ControlStore {
  constructor(private readonly pg: PgDatabase) {}

  async insert(c: Pick<Control, 'id' | 'run' | 'action' | 'reason' | 'requested_at' | 'seq'>): Promise<void> {
    await this.pg.query('INSERT INTO control_requests (id, run, action, reason, requested_at, seq) VALUES ($1, $2, $3, $4, $5, $6)', [
      c.id,
      c.run,
      c.action,
      c.reason,
      c.requested_at,
      c.seq,
    ]);
  }

  async get(id: string): Promise<Control | undefined> {
    const { rows } = await this.pg.query<ControlRow>(`SELECT ${COLUMNS} FROM control_requests WHERE id = $1`, [id]);
    return rows[0] && toControl(rows[0]);
  }

  async list(run: string, limit = 1000): Promise<Control[]> {
    const { rows } = await this.pg.query<ControlRow>(`SELECT ${COLUMNS} FROM control_requests WHERE run = $1 ORDER BY requested_at, seq LIMIT $2`, [
      run,
      limit,
    ]);
    return rows.map(toControl);
  }

  async pending(run: string): Promise<Control[]> {
    const { rows } = await this.pg.query<ControlRow>(`SELECT ${COLUMNS} FROM control_requests WHERE run = $1 AND acked_at IS NULL ORDER BY seq`, [run]);
    return rows.map(toControl);
  }

  async markDelivered(id: string, now: number): Promise<void> {
    await this.pg.query('UPDATE control_requests SET delivered_at = $1 WHERE id = $2', [now, id]);
  }

  /** False when it was acknowledged before: the first outcome stands, whichever replica took the other. */
  async ack(id: string, outcome: ControlOutcome, message: string | null, now: number): Promise<boolean> {
    const { rowCount } = await this.pg.query(
      'UPDATE control_requests SET acked_at = $1, outcome = $2, message = $3 WHERE id = $4 AND acked_at IS NULL',
      [now, outcome, message, id],
    );
    return rowCount === 1;
  }
}
