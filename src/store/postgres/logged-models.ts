// MLflow 3's logged models in PostgreSQL: records only; their files are artifacts.
import { randomBytes } from 'node:crypto';
import type { KeyValue, LoggedModel, LoggedModelStore } from '../logged-models.ts';
import type { PgDatabase } from './pool.ts';
import { toLoggedModel, type LoggedModelBody, type LoggedModelRow } from '../module-rows.ts';

const COLUMNS = 'id, experiment_id, source_run, name, body, created_at, updated_at';

export class PgLoggedModelStore implements LoggedModelStore {
  constructor(private readonly pg: PgDatabase) {}

  async create(
    m: { experiment_id: string; name: string; source_run_id?: string; model_type?: string; tags: KeyValue[]; params: KeyValue[] },
    now: number,
  ): Promise<LoggedModel> {
    // MLflow's model ids: "m-" and 32 hex digits.
    const id = `m-${randomBytes(16).toString('hex')}`;
    const body: LoggedModelBody = { status: 'LOGGED_MODEL_PENDING', model_type: m.model_type ?? '', tags: m.tags, params: m.params };
    const { rows } = await this.pg.query<LoggedModelRow>(
      `INSERT INTO mlflow_logged_models (id, experiment_id, source_run, name, body, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${COLUMNS}`,
      [id, m.experiment_id, m.source_run_id ?? null, m.name, JSON.stringify(body), now],
    );
    return toLoggedModel(rows[0]!);
  }

  async get(id: string): Promise<LoggedModel | undefined> {
    const { rows } = await this.pg.query<LoggedModelRow>(`SELECT ${COLUMNS} FROM mlflow_logged_models WHERE id = $1`, [id]);
    return rows[0] && toLoggedModel(rows[0]);
  }

  /** The row is locked while its body is rewritten, so a concurrent change is not lost. */
  setStatus(id: string, status: string, now: number): Promise<void> {
    return this.pg.transaction(async () => {
      const { rows } = await this.pg.query<LoggedModelRow>(`SELECT ${COLUMNS} FROM mlflow_logged_models WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) return;
      const m = toLoggedModel(rows[0]);
      const body: LoggedModelBody = { status, model_type: m.model_type, tags: m.tags, params: m.params };
      await this.pg.query('UPDATE mlflow_logged_models SET body = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(body), now, id]);
    });
  }

  async inExperiments(ids: string[]): Promise<LoggedModel[]> {
    if (!ids.length) return [];
    const { rows } = await this.pg.query<LoggedModelRow>(
      `SELECT ${COLUMNS} FROM mlflow_logged_models WHERE experiment_id = ANY ($1::text[]) ORDER BY created_at DESC, id COLLATE "C"`,
      [ids],
    );
    return rows.map(toLoggedModel);
  }

  async ofRun(run: string): Promise<LoggedModel[]> {
    const { rows } = await this.pg.query<LoggedModelRow>(`SELECT ${COLUMNS} FROM mlflow_logged_models WHERE source_run = $1 ORDER BY created_at, id COLLATE "C"`, [run]);
    return rows.map(toLoggedModel);
  }
}
