// Experiments of the MLflow-compatible receiver in PostgreSQL. MLflow's "Default" experiment has id 0.
import type { Experiment, ExperimentStore } from '../experiments.ts';
import type { PgDatabase } from './pool.ts';
import { toExperiment, type ExperimentRow } from '../module-rows.ts';

const COLUMNS = 'id, name, artifact_location, lifecycle_stage, tags, created_at, updated_at';

/** Only digits name an experiment; anything else would fail the id's type in the query. */
const experimentId = (id: string): number | undefined => (/^\d+$/.test(id) ? Number(id) : undefined);

export class PgExperimentStore implements ExperimentStore {
  constructor(private readonly pg: PgDatabase) {}

  /** Without an artifact location, the experiment's is `mlflow-artifacts:/<id>`, known once the id is. */
  create(name: string, artifactLocation: string | undefined, now: number, id?: number): Promise<Experiment> {
    return this.pg.transaction(async () => {
      const { rows } =
        id === undefined
          ? await this.pg.query<ExperimentRow>(
              `INSERT INTO experiments (name, artifact_location, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING ${COLUMNS}`,
              [name, artifactLocation ?? '', now],
            )
          : await this.pg.query<ExperimentRow>(
              `INSERT INTO experiments (id, name, artifact_location, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING ${COLUMNS}`,
              [id, name, artifactLocation ?? '', now],
            );
      const created = rows[0]!;
      if (artifactLocation) return toExperiment(created);
      const location = `mlflow-artifacts:/${created.id}`;
      await this.pg.query('UPDATE experiments SET artifact_location = $1 WHERE id = $2', [location, created.id]);
      return toExperiment({ ...created, artifact_location: location });
    });
  }

  async get(id: string): Promise<Experiment | undefined> {
    const key = experimentId(id);
    if (key === undefined) return undefined;
    const { rows } = await this.pg.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments WHERE id = $1`, [key]);
    return rows[0] && toExperiment(rows[0]);
  }

  async byName(name: string): Promise<Experiment | undefined> {
    const { rows } = await this.pg.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments WHERE name = $1`, [name]);
    return rows[0] && toExperiment(rows[0]);
  }

  async list(): Promise<Experiment[]> {
    const { rows } = await this.pg.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments ORDER BY id`);
    return rows.map(toExperiment);
  }

  /**
   * An experiment is the project its runs belong to, so renaming it renames that project:
   * its runs stay its runs. The row is locked first, so a concurrent rename moves the runs it renamed.
   */
  rename(id: string, name: string, now: number): Promise<void> {
    const key = experimentId(id);
    if (key === undefined) return Promise.resolve();
    return this.pg.transaction(async () => {
      const { rows } = await this.pg.query<{ name: string }>('SELECT name FROM experiments WHERE id = $1 FOR UPDATE', [key]);
      const before = rows[0]?.name;
      if (before === undefined || before === name) return;
      await this.pg.query('UPDATE experiments SET name = $1, updated_at = $2 WHERE id = $3', [name, now, key]);
      await this.pg.query('UPDATE runs SET project = $1 WHERE project = $2', [name, before]);
    });
  }

  async setStage(id: string, stage: 'active' | 'deleted', now: number): Promise<void> {
    const key = experimentId(id);
    if (key === undefined) return;
    await this.pg.query('UPDATE experiments SET lifecycle_stage = $1, updated_at = $2 WHERE id = $3', [stage, now, key]);
  }

  /** The row is locked while its tags are rewritten, so tags set at once on two replicas are both kept. */
  setTag(id: string, key: string, value: string, now: number): Promise<void> {
    const experiment = experimentId(id);
    if (experiment === undefined) return Promise.resolve();
    return this.pg.transaction(async () => {
      const { rows } = await this.pg.query<{ tags: string }>('SELECT tags FROM experiments WHERE id = $1 FOR UPDATE', [experiment]);
      if (!rows[0]) return;
      const tags = { ...(JSON.parse(rows[0].tags) as Record<string, string>), [key]: value };
      await this.pg.query('UPDATE experiments SET tags = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(tags), now, experiment]);
    });
  }
}
