import type Database from 'better-sqlite3';

export interface RunSnapshot {
  seq: number;
  shape: string;
  state: string;
}

/** The latest snapshot of each run's in-memory state (see service/run-states.ts). */
export class SnapshotsRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      get: db.prepare<[string], RunSnapshot>('SELECT seq, shape, state FROM run_snapshots WHERE run = ?'),
      save: db.prepare<[string, number, string, string, number]>(
        `INSERT INTO run_snapshots (run, seq, shape, state, taken_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run) DO UPDATE SET seq = excluded.seq, shape = excluded.shape, state = excluded.state, taken_at = excluded.taken_at`,
      ),
    };
  }

  get(run: string): RunSnapshot | undefined {
    return this.stmts.get.get(run);
  }

  save(run: string, snapshot: RunSnapshot, now: number): void {
    this.stmts.save.run(run, snapshot.seq, snapshot.shape, snapshot.state, now);
  }
}
