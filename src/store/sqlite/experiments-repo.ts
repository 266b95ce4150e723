import type { Experiment, ExperimentStore } from '../experiments.ts';
import type { SqliteConnection } from './connection.ts';
import { toExperiment, type ExperimentRow } from '../module-rows.ts';

/** MLflow experiments in SQLite. */
export class ExperimentsRepo implements ExperimentStore {
  constructor(private readonly conn: SqliteConnection) {}

  private get db() {
    return this.conn.db;
  }

  create(name: string, artifactLocation: string | undefined, now: number, id?: number): Promise<Experiment> {
    return this.conn.write(() => {
      const info = this.db
        .prepare('INSERT INTO experiments (id, name, artifact_location, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(id ?? null, name, artifactLocation ?? '', now, now);
      const created = this.read(String(info.lastInsertRowid))!;
      if (artifactLocation) return created;
      this.db.prepare('UPDATE experiments SET artifact_location = ? WHERE id = ?').run(`mlflow-artifacts:/${created.experiment_id}`, created.experiment_id);
      return this.read(created.experiment_id)!;
    });
  }

  async get(id: string): Promise<Experiment | undefined> {
    return this.read(id);
  }

  private read(id: string): Experiment | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(Number(id)) as ExperimentRow | undefined;
    return row && toExperiment(row);
  }

  async byName(name: string): Promise<Experiment | undefined> {
    const row = this.db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
    return row && toExperiment(row);
  }

  async list(): Promise<Experiment[]> {
    return (this.db.prepare('SELECT * FROM experiments ORDER BY id').all() as ExperimentRow[]).map(toExperiment);
  }

  rename(id: string, name: string, now: number): Promise<void> {
    return this.conn.transaction(async () => {
      const e = this.read(id);
      if (!e || e.name === name) return;
      this.db.prepare('UPDATE experiments SET name = ?, updated_at = ? WHERE id = ?').run(name, now, Number(id));
      this.db.prepare('UPDATE runs SET project = ? WHERE project = ?').run(name, e.name);
    });
  }

  async setStage(id: string, stage: 'active' | 'deleted', now: number): Promise<void> {
    await this.conn.write(() => this.db.prepare('UPDATE experiments SET lifecycle_stage = ?, updated_at = ? WHERE id = ?').run(stage, now, Number(id)));
  }

  setTag(id: string, key: string, value: string, now: number): Promise<void> {
    return this.conn.write(() => {
      const e = this.read(id);
      if (!e) return;
      this.db.prepare('UPDATE experiments SET tags = ?, updated_at = ? WHERE id = ?').run(JSON.stringify({ ...e.tags, [key]: value }), now, Number(id));
    });
  }
}
