import type { SuggestionStore } from '../suggestions.ts';
import type { SqliteConnection } from './connection.ts';
import type { SuggestionOutcome, SuggestionStatus, TrackedSuggestion } from '../../domain/analysis-request.ts';
import { toSuggestion, type SuggestionRow } from '../module-rows.ts';


/** Tuning suggestions and what became of them, in SQLite. */
export class SuggestionsRepo implements SuggestionStore {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly byRunStmt;
  private readonly statusStmt;
  private readonly outcomeStmt;
  private readonly pendingStmt;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
    // The same suggestion proposed again refreshes its wording but keeps its status and outcome.
    this.upsertStmt = db.prepare(`INSERT INTO analyst_suggestions (id, run, project, kind, parameter, current, proposed, rationale, expected_effect, confidence, created_at, updated_at)
      VALUES (@id, @run, @project, @kind, @parameter, @current, @proposed, @rationale, @expected_effect, @confidence, @now, @now)
      ON CONFLICT (id) DO UPDATE SET rationale = excluded.rationale, expected_effect = excluded.expected_effect, confidence = excluded.confidence, updated_at = excluded.updated_at`);
    this.getStmt = db.prepare('SELECT * FROM analyst_suggestions WHERE id = ?');
    this.byRunStmt = db.prepare('SELECT * FROM analyst_suggestions WHERE run = ? ORDER BY created_at, id');
    this.statusStmt = db.prepare('UPDATE analyst_suggestions SET status = ?, updated_at = ? WHERE id = ?');
    this.outcomeStmt = db.prepare('UPDATE analyst_suggestions SET outcome = ?, updated_at = ? WHERE id = ?');
    this.pendingStmt = db.prepare("SELECT * FROM analyst_suggestions WHERE run = ? AND outcome IS NULL AND status != 'rejected'");
  }

  async upsert(s: Omit<TrackedSuggestion, 'status' | 'created_at' | 'updated_at' | 'outcome'>, now = Date.now()): Promise<void> {
    await this.conn.write(() => this.upsertStmt.run({ ...s, current: JSON.stringify(s.current), proposed: JSON.stringify(s.proposed), now }));
  }

  async get(id: string): Promise<TrackedSuggestion | undefined> {
    const row = this.getStmt.get(id) as SuggestionRow | undefined;
    return row && toSuggestion(row);
  }

  async byRun(run: string): Promise<TrackedSuggestion[]> {
    return (this.byRunStmt.all(run) as SuggestionRow[]).map(toSuggestion);
  }

  async pending(run: string): Promise<TrackedSuggestion[]> {
    return (this.pendingStmt.all(run) as SuggestionRow[]).map(toSuggestion);
  }

  async setStatus(id: string, status: SuggestionStatus, now = Date.now()): Promise<boolean> {
    return (await this.conn.write(() => this.statusStmt.run(status, now, id))).changes > 0;
  }

  async setOutcome(id: string, outcome: SuggestionOutcome, now = Date.now()): Promise<void> {
    await this.conn.write(() => this.outcomeStmt.run(JSON.stringify(outcome), now, id));
  }
}
