import { randomBytes } from 'node:crypto';
import type { KeyValue, LoggedModel, LoggedModelStore } from '../logged-models.ts';
import type { SqliteConnection } from './connection.ts';
import { toLoggedModel, type LoggedModelBody, type LoggedModelRow } from '../module-rows.ts';


/** MLflow 3's logged models in SQLite. */
export class LoggedModelsRepo implements LoggedModelStore {
  constructor(private readonly conn: SqliteConnection) {}

  private get db() {
    return this.conn.db;
  }

  async create(m: { experiment_id: string; name: string; source_run_id?: string; model_type?: string; tags: KeyValue[]; params: KeyValue[] }, now: number): Promise<LoggedModel> {
    const id = `m-${randomBytes(16).toString('hex')}`;
    const body: LoggedModelBody = { status: 'LOGGED_MODEL_PENDING', model_type: m.model_type ?? '', tags: m.tags, params: m.params };
    await this.conn.write(() =>
      this.db
        .prepare('INSERT INTO mlflow_logged_models (id, experiment_id, source_run, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, m.experiment_id, m.source_run_id ?? null, m.name, JSON.stringify(body), now, now),
    );
    return (await this.get(id))!;
  }

  async get(id: string): Promise<LoggedModel | undefined> {
    const row = this.db.prepare('SELECT * FROM mlflow_logged_models WHERE id = ?').get(id) as LoggedModelRow | undefined;
    return row && toLoggedModel(row);
  }

  setStatus(id: string, status: string, now: number): Promise<void> {
    return this.conn.write(() => {
      const row = this.db.prepare('SELECT * FROM mlflow_logged_models WHERE id = ?').get(id) as LoggedModelRow | undefined;
      if (!row) return;
      const m = toLoggedModel(row);
      const body: LoggedModelBody = { status, model_type: m.model_type, tags: m.tags, params: m.params };
      this.db.prepare('UPDATE mlflow_logged_models SET body = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(body), now, id);
    });
  }

  async inExperiments(ids: string[]): Promise<LoggedModel[]> {
    if (!ids.length) return [];
    const rows = this.db
      .prepare(`SELECT * FROM mlflow_logged_models WHERE experiment_id IN (${ids.map(() => '?').join(', ')}) ORDER BY created_at DESC, id`)
      .all(...ids) as LoggedModelRow[];
    return rows.map(toLoggedModel);
  }

  async ofRun(run: string): Promise<LoggedModel[]> {
    return (this.db.prepare('SELECT * FROM mlflow_logged_models WHERE source_run = ? ORDER BY created_at').all(run) as LoggedModelRow[]).map(toLoggedModel);
  }
}
