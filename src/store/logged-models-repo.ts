import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface KeyValue {
  key: string;
  value: string;
}

/** An MLflow 3 logged model's record, as MLflow answers it. */
export interface LoggedModel {
  model_id: string;
  experiment_id: string;
  name: string;
  source_run_id?: string;
  status: string;
  model_type: string;
  tags: KeyValue[];
  params: KeyValue[];
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}

interface Row {
  id: string;
  experiment_id: string;
  source_run: string | null;
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

type Body = Pick<LoggedModel, 'status' | 'model_type' | 'tags' | 'params'>;

const toModel = (r: Row): LoggedModel => ({
  model_id: r.id,
  experiment_id: r.experiment_id,
  name: r.name,
  ...(r.source_run ? { source_run_id: r.source_run } : {}),
  ...(JSON.parse(r.body) as Body),
  creation_timestamp_ms: r.created_at,
  last_updated_timestamp_ms: r.updated_at,
});

/** MLflow 3's logged models (`mlflow.<flavour>.log_model`): records only; no model registry. */
export class LoggedModelsRepo {
  constructor(private readonly db: Database.Database) {}

  create(m: { experiment_id: string; name: string; source_run_id?: string; model_type?: string; tags: KeyValue[]; params: KeyValue[] }, now: number): LoggedModel {
    // MLflow's model ids: "m-" and 32 hex digits.
    const id = `m-${randomBytes(16).toString('hex')}`;
    const body: Body = { status: 'LOGGED_MODEL_PENDING', model_type: m.model_type ?? '', tags: m.tags, params: m.params };
    this.db
      .prepare('INSERT INTO mlflow_logged_models (id, experiment_id, source_run, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, m.experiment_id, m.source_run_id ?? null, m.name, JSON.stringify(body), now, now);
    return this.get(id)!;
  }

  get(id: string): LoggedModel | undefined {
    const row = this.db.prepare('SELECT * FROM mlflow_logged_models WHERE id = ?').get(id) as Row | undefined;
    return row && toModel(row);
  }

  setStatus(id: string, status: string, now: number): void {
    const m = this.get(id);
    if (!m) return;
    const body: Body = { status, model_type: m.model_type, tags: m.tags, params: m.params };
    this.db.prepare('UPDATE mlflow_logged_models SET body = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(body), now, id);
  }

  inExperiments(ids: string[]): LoggedModel[] {
    if (!ids.length) return [];
    const rows = this.db
      .prepare(`SELECT * FROM mlflow_logged_models WHERE experiment_id IN (${ids.map(() => '?').join(', ')}) ORDER BY created_at DESC, id`)
      .all(...ids) as Row[];
    return rows.map(toModel);
  }

  ofRun(run: string): LoggedModel[] {
    return (this.db.prepare('SELECT * FROM mlflow_logged_models WHERE source_run = ? ORDER BY created_at').all(run) as Row[]).map(toModel);
  }
}
