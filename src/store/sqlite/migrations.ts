import type Database from 'better-sqlite3';
import { SummaryBuilder } from '../series-summary.ts';
import { summaryStatements } from './series-summaries.ts';

/**
 * Schema versions, applied in order on start; `PRAGMA user_version` records how far a file got,
 * so an older database file is migrated forward and never rebuilt.
 */
const MIGRATIONS: Array<string | ((db: Database.Database) => void)> = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     project TEXT NOT NULL,
     name TEXT NOT NULL,
     status TEXT NOT NULL,
     config TEXT NOT NULL DEFAULT '{}',
     meta TEXT NOT NULL DEFAULT '{}',
     tags TEXT NOT NULL DEFAULT '{}',
     total_epochs INTEGER,
     total_steps INTEGER,
     stage TEXT,
     dataset TEXT,
     base_model TEXT,
     parent_run TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     finished_at INTEGER,
     last_seq INTEGER NOT NULL DEFAULT 0,
     UNIQUE (project, name)
   );
   CREATE INDEX runs_project ON runs (project, created_at);
   CREATE TABLE events (
     gid INTEGER PRIMARY KEY,
     run TEXT NOT NULL,
     seq INTEGER NOT NULL,
     ts INTEGER NOT NULL,
     type TEXT NOT NULL,
     event_id TEXT,
     body TEXT NOT NULL,
     UNIQUE (run, seq)
   );
   CREATE UNIQUE INDEX events_idempotency ON events (run, event_id) WHERE event_id IS NOT NULL;
   CREATE TABLE points (
     run TEXT NOT NULL,
     name TEXT NOT NULL,
     step INTEGER,
     epoch REAL,
     value REAL,
     ts INTEGER NOT NULL,
     seq INTEGER NOT NULL
   );
   CREATE INDEX points_series ON points (run, name, step);
   CREATE TABLE findings (
     id TEXT PRIMARY KEY,
     run TEXT NOT NULL,
     kind TEXT NOT NULL,
     severity TEXT NOT NULL,
     status TEXT NOT NULL,
     step REAL,
     epoch REAL,
     message TEXT NOT NULL,
     evidence TEXT NOT NULL,
     actions TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     resolved_at INTEGER
   );
   CREATE INDEX findings_run ON findings (run, status);
   CREATE TABLE experiments (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     artifact_location TEXT NOT NULL,
     lifecycle_stage TEXT NOT NULL DEFAULT 'active',
     tags TEXT NOT NULL DEFAULT '{}',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // The latest read report of each door per run (an imported file, the posted log lines): what was read and skipped.
  `CREATE TABLE read_reports (
     run TEXT NOT NULL,
     source TEXT NOT NULL,
     report TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (run, source)
   );`,
  // The run id is the identity: names repeat within a project (a script run twice makes two runs).
  // SQLite cannot drop a table constraint, so the table is copied, in rowid order, which keeps
  // "newest" (created_at, then rowid) as it was. Runs gain a note and an archive time; creates
  // keep their idempotency keys, and deleted ids are remembered so late batches get 410.
  `CREATE TABLE runs_v3 (
     id TEXT PRIMARY KEY,
     project TEXT NOT NULL,
     name TEXT NOT NULL,
     status TEXT NOT NULL,
     config TEXT NOT NULL DEFAULT '{}',
     meta TEXT NOT NULL DEFAULT '{}',
     tags TEXT NOT NULL DEFAULT '{}',
     total_epochs INTEGER,
     total_steps INTEGER,
     stage TEXT,
     dataset TEXT,
     base_model TEXT,
     parent_run TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     finished_at INTEGER,
     last_seq INTEGER NOT NULL DEFAULT 0,
     note TEXT,
     archived_at INTEGER
   );
   INSERT INTO runs_v3 (id, project, name, status, config, meta, tags, total_epochs, total_steps, stage, dataset, base_model,
       parent_run, created_at, updated_at, finished_at, last_seq)
     SELECT id, project, name, status, config, meta, tags, total_epochs, total_steps, stage, dataset, base_model,
       parent_run, created_at, updated_at, finished_at, last_seq FROM runs ORDER BY rowid;
   DROP TABLE runs;
   ALTER TABLE runs_v3 RENAME TO runs;
   CREATE INDEX runs_project ON runs (project, created_at);
   CREATE INDEX runs_name ON runs (name, created_at);
   CREATE TABLE run_requests (
     key TEXT PRIMARY KEY,
     run TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX run_requests_run ON run_requests (run);
   CREATE TABLE deleted_runs (
     id TEXT PRIMARY KEY,
     project TEXT NOT NULL,
     name TEXT NOT NULL,
     deleted_at INTEGER NOT NULL
   );`,
  // When the run's trainer last sent something: its silence makes a live run stalled, then lost.
  // Where a finding's message was last written, so that a read can tell it from the run's present.
  `ALTER TABLE runs ADD COLUMN last_event_at INTEGER;
   UPDATE runs SET last_event_at = updated_at;
   ALTER TABLE findings ADD COLUMN seen_step REAL;
   ALTER TABLE findings ADD COLUMN seen_epoch REAL;`,
  // Series for reading big runs: a run's metric names in a small table, points numbered per
  // series (in the order logged) and clustered by that number, and multi-resolution summaries
  // (series-summary.ts), built here for the points already stored.
  (db) => {
    db.exec(`CREATE TABLE series (
       id INTEGER PRIMARY KEY,
       run TEXT NOT NULL,
       name TEXT NOT NULL,
       count INTEGER NOT NULL DEFAULT 0,
       UNIQUE (run, name)
     );
     CREATE TABLE samples (
       series INTEGER NOT NULL,
       i INTEGER NOT NULL,
       step INTEGER,
       epoch REAL,
       value REAL,
       ts INTEGER NOT NULL,
       seq INTEGER NOT NULL,
       PRIMARY KEY (series, i)
     ) WITHOUT ROWID;
     CREATE INDEX samples_step ON samples (series, step);
     CREATE TABLE series_buckets (
       series INTEGER NOT NULL,
       level INTEGER NOT NULL,
       bucket INTEGER NOT NULL,
       lo REAL,
       lo_i INTEGER,
       hi REAL,
       hi_i INTEGER,
       nonfinite INTEGER NOT NULL,
       nonfinite_i INTEGER,
       PRIMARY KEY (series, level, bucket)
     ) WITHOUT ROWID;
     INSERT INTO series (run, name) SELECT DISTINCT run, name FROM points ORDER BY run, name;
     INSERT INTO samples (series, i, step, epoch, value, ts, seq)
       SELECT s.id, ROW_NUMBER() OVER (PARTITION BY p.run, p.name ORDER BY p.seq, p.rowid) - 1, p.step, p.epoch, p.value, p.ts, p.seq
       FROM points p JOIN series s ON s.run = p.run AND s.name = p.name;
     UPDATE series SET count = (SELECT COUNT(*) FROM samples WHERE samples.series = series.id);
     DROP TABLE points;`);
    const stmts = summaryStatements(db);
    // A page at a time: better-sqlite3 writes nothing while a query is still being read.
    const page = db.prepare<[number, number], { value: number | null }>('SELECT value FROM samples WHERE series = ? AND i >= ? ORDER BY i LIMIT 10000');
    for (const s of db.prepare<[], { id: number; count: number }>('SELECT id, count FROM series').all()) {
      const builder = new SummaryBuilder(stmts, s.id, 0);
      for (let i = 0; i < s.count; i += 10_000) for (const p of page.all(s.id, i)) builder.add(p.value);
    }
  },
  // A run's rolling context and diagnoser as of one event (`seq`), so that bringing a run back
  // reads this and the events after it instead of its whole history; `shape` names the code that wrote it.
  // Runs by creation time (the newest-first list pages through it) and live runs by the start of
  // their silence (the silence check reads only the runs whose status it changes).
  `CREATE TABLE run_snapshots (
     run TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     shape TEXT NOT NULL,
     state TEXT NOT NULL,
     taken_at INTEGER NOT NULL
   );
   CREATE INDEX runs_created ON runs (created_at);
   CREATE INDEX runs_silence ON runs (status, COALESCE(last_event_at, created_at));`,
  // MLflow 3's logged models: a model's record (name, status, tags, params), kept by experiment
  // and by the run that logged it; its files are artifacts.
  `CREATE TABLE mlflow_logged_models (
     id TEXT PRIMARY KEY,
     experiment_id TEXT NOT NULL,
     source_run TEXT,
     name TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX mlflow_logged_models_experiment ON mlflow_logged_models (experiment_id, created_at);`,
  // A run's next stages are found by their parent_run (lineage), and a run's events of one type
  // (checkpoints, epoch ends) without reading the rest of its log.
  `CREATE INDEX runs_parent ON runs (parent_run) WHERE parent_run IS NOT NULL;
   CREATE INDEX events_type ON events (run, type, seq);`,
  // The tables of the other concerns (alerts and the webhook outbox, webhooks, LLM usage,
  // suggestions, upstream sources, control requests), created by their modules until they were
  // kept here: IF NOT EXISTS, as a file written before has them already.
  `CREATE TABLE IF NOT EXISTS alerts (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     run_id TEXT NOT NULL,
     severity_rank INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     body TEXT NOT NULL,
     analysis TEXT
   );
   CREATE INDEX IF NOT EXISTS alerts_run ON alerts (run_id, seq);
   CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_at);
   CREATE TABLE IF NOT EXISTS webhook_deliveries (
     id TEXT PRIMARY KEY,
     webhook_id TEXT NOT NULL,
     alert_id TEXT NOT NULL,
     alert_type TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER,
     last_error TEXT,
     response_code INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     delivered_at INTEGER
   );
   CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
   CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
   CREATE TABLE IF NOT EXISTS alert_throttle (
     run_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     last_raised_at INTEGER NOT NULL,
     PRIMARY KEY (run_id, kind)
   );
   CREATE TABLE IF NOT EXISTS webhooks (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     secret TEXT NOT NULL,
     min_severity TEXT NOT NULL,
     kinds TEXT,
     projects TEXT,
     format TEXT NOT NULL,
     include_analysis INTEGER NOT NULL,
     source TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS analyst_usage (
     day TEXT NOT NULL,
     provider TEXT NOT NULL,
     model TEXT NOT NULL,
     calls INTEGER NOT NULL DEFAULT 0,
     prompt_tokens INTEGER NOT NULL DEFAULT 0,
     completion_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL NOT NULL DEFAULT 0,
     unpriced_calls INTEGER NOT NULL DEFAULT 0,
     degraded INTEGER NOT NULL DEFAULT 0,
     cache_hits INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (day, provider, model)
   );
   CREATE TABLE IF NOT EXISTS analyst_suggestions (
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
   CREATE INDEX IF NOT EXISTS analyst_suggestions_pending ON analyst_suggestions (project) WHERE outcome IS NULL AND status != 'rejected';
   CREATE TABLE IF NOT EXISTS sources (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     run TEXT NOT NULL,
     headers TEXT NOT NULL,
     mapping TEXT NOT NULL,
     state TEXT NOT NULL,
     last_event_id TEXT,
     last_event_at INTEGER,
     events INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     last_error_at INTEGER,
     retry_ms INTEGER,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS source_not_read (
     source TEXT NOT NULL,
     kind TEXT NOT NULL,
     frames INTEGER NOT NULL,
     PRIMARY KEY (source, kind)
   );
   CREATE TABLE IF NOT EXISTS control_requests (
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
   CREATE INDEX IF NOT EXISTS control_requests_run ON control_requests (run, requested_at);`,
];

/** Migrates forward to `target` (the latest unless told; an older target makes old files for tests). */
export function migrate(db: Database.Database, target = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < target; v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
