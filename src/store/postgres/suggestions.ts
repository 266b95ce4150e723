// Tuning suggestions and what became of them, in PostgreSQL.
import type { SuggestionStore } from '../suggestions.ts';
import type { PgDatabase } from './pool.ts';
import type { SuggestionOutcome, SuggestionStatus, TrackedSuggestion } from '../../domain/analysis-request.ts';
import { toSuggestion, type SuggestionRow } from '../module-rows.ts';


const COLUMNS = 'id, run, project, kind, parameter, current, proposed, rationale, expected_effect, confidence, status, created_at, updated_at, outcome';

export class PgSuggestionStore implements SuggestionStore {
  constructor(private readonly pg: PgDatabase) {}

  /** The same suggestion proposed again refreshes its wording but keeps its status and outcome. */
  async upsert(s: Omit<TrackedSuggestion, 'status' | 'created_at' | 'updated_at' | 'outcome'>, now = Date.now()): Promise<void> {
    await this.pg.query(
      `INSERT INTO analyst_suggestions (id, run, project, kind, parameter, current, proposed, rationale, expected_effect, confidence, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (id) DO UPDATE SET rationale = excluded.rationale, expected_effect = excluded.expected_effect,
         confidence = excluded.confidence, updated_at = excluded.updated_at`,
      [s.id, s.run, s.project, s.kind, s.parameter, JSON.stringify(s.current), JSON.stringify(s.proposed), s.rationale, s.expected_effect, s.confidence, now],
    );
  }

  async get(id: string): Promise<TrackedSuggestion | undefined> {
    const { rows } = await this.pg.query<SuggestionRow>(`SELECT ${COLUMNS} FROM analyst_suggestions WHERE id = $1`, [id]);
    return rows[0] && toSuggestion(rows[0]);
  }

  async byRun(run: string): Promise<TrackedSuggestion[]> {
    const { rows } = await this.pg.query<SuggestionRow>(`SELECT ${COLUMNS} FROM analyst_suggestions WHERE run = $1 ORDER BY created_at, id COLLATE "C"`, [run]);
    return rows.map(toSuggestion);
  }

  /** Suggestions of a run still waiting for a later run to apply them (rejected ones are not tracked). */
  async pending(run: string): Promise<TrackedSuggestion[]> {
    const { rows } = await this.pg.query<SuggestionRow>(
      `SELECT ${COLUMNS} FROM analyst_suggestions WHERE run = $1 AND outcome IS NULL AND status != 'rejected' ORDER BY created_at, id COLLATE "C"`,
      [run],
    );
    return rows.map(toSuggestion);
  }

  async setStatus(id: string, status: SuggestionStatus, now = Date.now()): Promise<boolean> {
    const { rowCount } = await this.pg.query('UPDATE analyst_suggestions SET status = $1, updated_at = $2 WHERE id = $3', [status, now, id]);
    return rowCount > 0;
  }

  async setOutcome(id: string, outcome: SuggestionOutcome, now = Date.now()): Promise<void> {
    await this.pg.query('UPDATE analyst_suggestions SET outcome = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(outcome), now, id]);
  }
}
