import type { RunSnapshot, SnapshotStore } from '../snapshots.ts';
import type { SqliteConnection } from './connection.ts';

/** The latest snapshot of each run's in-memory state, in SQLite. */
export class SnapshotsRepo implements SnapshotStore {
  private readonly stmts;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
    this.stmts = {
      get: db.prepare<[string], RunSnapshot>('SELECT seq, shape, state FROM run_snapshots WHERE run = ?'),
      save: db.prepare<[string, number, string, string, number]>(
        `INSERT INTO run_snapshots (run, seq, shape, state, taken_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run) DO UPDATE SET seq = excluded.seq, shape = excluded.shape, state = excluded.state, taken_at = excluded.taken_at`,
      ),
    };
  }

  async get(run: string): Promise<RunSnapshot | undefined> {
    return this.stmts.get.get(run);
  }

  async save(run: string, snapshot: RunSnapshot, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.save.run(run, snapshot.seq, snapshot.shape, snapshot.state, now));
  }
}
