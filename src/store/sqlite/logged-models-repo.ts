import { randomBytes } from 'node:crypto';
import type { KeyValue, LoggedModel, LoggedModelStore } from '../logged-models.ts';
import type { SqliteConnection } from './connection.ts';

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

/** MLflow 3's logged models in SQLite. */
export class LoggedModelsRepo implements LoggedModelStore {
  constructor(private readonly conn: SqliteConnection) {}

  private get db() {
    return this.conn.db;
  }

  async create(m: { experiment_id: string; name: string; source_run_id?: string; model_type?: string; tags: KeyValue[]; params: KeyValue[] }, now: number): Promise<LoggedModel> {
    const id = `m-${randomBytes(16).toString('hex')}`;
    const body: Body = { status: 'LOGGED_MODEL_PENDING', model_type: m.model_type ?? '', tags: m.tags, params: m.params };
    await this.conn.write(() =>
      this.db
        .prepare('INSERT INTO mlflow_logged_models (id, experiment_id, source_run, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, m.experiment_id, m.source_run_id ?? null, m.name, JSON.stringify(body), now, now),
    );
    return (await this.get(id))!;
  }

  async get(id: string): Promise<LoggedModel | undefined> {
    const row = this.db.prepare('SELECT * FROM mlflow_logged_models WHERE id = ?').get(id) as Row | undefined;
    return row && toModel(row);
  }

  setStatus(id: string, status: string, now: number): Promise<void> {
    return this.conn.write(() => {
      const row = this.db.prepare('SELECT * FROM mlflow_logged_models WHERE id = ?').get(id) as Row | undefined;
      if (!row) return;
      const m = toModel(row);
      const body: Body = { status, model_type: m.model_type, tags: m.tags, params: m.params };
      this.db.prepare('UPDATE mlflow_logged_models SET body = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(body), now, id);
    });
  }

  async inExperiments(ids: string[]): Promise<LoggedModel[]> {
    if (!ids.length) return [];
    const rows = this.db
      .prepare(`SELECT * FROM mlflow_logged_models WHERE experiment_id IN (${ids.map(() => '?').join(', ')}) ORDER BY created_at DESC, id`)
      .all(...ids) as Row[];
    return rows.map(toModel);
  }

  async ofRun(run: string): Promise<LoggedModel[]> {
    return (this.db.prepare('SELECT * FROM mlflow_logged_models WHERE source_run = ? ORDER BY created_at').all(run) as Row[]).map(toModel);
  }
}
