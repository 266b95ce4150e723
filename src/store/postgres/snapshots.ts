import type { RunSnapshot, SnapshotStore } from '../snapshots.ts';
import type { PgDatabase } from './pool.ts';

/** The latest snapshot of each run's in-memory state, in PostgreSQL. */
export class PgSnapshotStore implements SnapshotStore {
  constructor(private readonly db: PgDatabase) {}

  async get(run: string): Promise<RunSnapshot | undefined> {
    const { rows } = await this.db.query<RunSnapshot>('SELECT seq, shape, state FROM run_snapshots WHERE run = $1', [run]);
    return rows[0];
  }

  async save(run: string, snapshot: RunSnapshot, now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO run_snapshots (run, seq, shape, state, taken_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run) DO UPDATE SET seq = excluded.seq, shape = excluded.shape, state = excluded.state, taken_at = excluded.taken_at`,
      [run, snapshot.seq, snapshot.shape, snapshot.state, now],
    );
  }
}
