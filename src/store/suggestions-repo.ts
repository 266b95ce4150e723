// Tuning suggestions and what became of them, in SQLite.
import type { Database } from 'better-sqlite3';
import type { ParamValue, SuggestionOutcome, SuggestionStatus, TrackedSuggestion } from '../domain/analysis-request.ts';

interface Row {
  id: string;
  run: string;
  project: string;
  kind: string;
  parameter: string;
  current: string;
  proposed: string;
  rationale: string;
  expected_effect: string;
  confidence: number;
  status: SuggestionStatus;
  created_at: number;
  updated_at: number;
  outcome: string | null;
}

function fromRow(r: Row): TrackedSuggestion {
  return {
    id: r.id,
    run: r.run,
    project: r.project,
    kind: r.kind,
    parameter: r.parameter,
    current: JSON.parse(r.current) as ParamValue,
    proposed: JSON.parse(r.proposed) as ParamValue,
    rationale: r.rationale,
    expected_effect: r.expected_effect,
    confidence: r.confidence,
    status: r.status,
    created_at: r.created_at,
    updated_at: r.updated_at,
    outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as SuggestionOutcome),
  };
}

export class SuggestionsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly byRunStmt;
  private readonly statusStmt;
  private readonly outcomeStmt;
  private readonly pendingStmt;

  constructor(db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS analyst_suggestions (
      id TEXT PRIMARY KEY,
      run TEXT NOT NULL,
      project TEXT NOT NULL,
      kind TEXT NOT NULL,
      parameter TEXT NOT NULL,
      current TEXT NOT NULL,
      proposed TEXT NOT NULL,
      rationale TEXT NOT NULL,
      expected_effect TEXT NOT NULL,
      confidence REAL NOT NULL,
      status TEXT NOT NULL DEFAULT 'proposed',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      outcome TEXT
    );
    CREATE INDEX IF NOT EXISTS analyst_suggestions_run ON analyst_suggestions (run, created_at);
    CREATE INDEX IF NOT EXISTS analyst_suggestions_pending ON analyst_suggestions (project) WHERE outcome IS NULL AND status != 'rejected';`);
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

  upsert(s: Omit<TrackedSuggestion, 'status' | 'created_at' | 'updated_at' | 'outcome'>, now = Date.now()): void {
    this.upsertStmt.run({ ...s, current: JSON.stringify(s.current), proposed: JSON.stringify(s.proposed), now });
  }

  get(id: string): TrackedSuggestion | undefined {
    const row = this.getStmt.get(id) as Row | undefined;
    return row && fromRow(row);
  }

  byRun(run: string): TrackedSuggestion[] {
    return (this.byRunStmt.all(run) as Row[]).map(fromRow);
  }

  /** Suggestions of a run still waiting for a later run to apply them (rejected ones are not tracked). */
  pending(run: string): TrackedSuggestion[] {
    return (this.pendingStmt.all(run) as Row[]).map(fromRow);
  }

  setStatus(id: string, status: SuggestionStatus, now = Date.now()): boolean {
    return this.statusStmt.run(status, now, id).changes > 0;
  }

  setOutcome(id: string, outcome: SuggestionOutcome, now = Date.now()): void {
    this.outcomeStmt.run(JSON.stringify(outcome), now, id);
  }
}
