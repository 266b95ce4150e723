import type Database from 'better-sqlite3';

/** An MLflow experiment; here it is the project its runs belong to. */
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  tags: Record<string, string>;
  creation_time: number;
  last_update_time: number;
}

interface Row {
  id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

const toExperiment = (r: Row): Experiment => ({
  experiment_id: String(r.id),
  name: r.name,
  artifact_location: r.artifact_location,
  lifecycle_stage: r.lifecycle_stage,
  tags: JSON.parse(r.tags),
  creation_time: r.created_at,
  last_update_time: r.updated_at,
});

/** Experiments of the MLflow-compatible receiver. MLflow's "Default" experiment has id 0. */
export class ExperimentsRepo {
  constructor(private readonly db: Database.Database) {}

  create(name: string, artifactLocation: string | undefined, now: number, id?: number): Experiment {
    const info = this.db
      .prepare('INSERT INTO experiments (id, name, artifact_location, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id ?? null, name, artifactLocation ?? '', now, now);
    const created = this.get(String(info.lastInsertRowid))!;
    if (!artifactLocation) {
      this.db.prepare('UPDATE experiments SET artifact_location = ? WHERE id = ?').run(`mlflow-artifacts:/${created.experiment_id}`, created.experiment_id);
      return this.get(created.experiment_id)!;
    }
    return created;
  }

  get(id: string): Experiment | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(Number(id)) as Row | undefined;
    return row && toExperiment(row);
  }

  byName(name: string): Experiment | undefined {
    const row = this.db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as Row | undefined;
    return row && toExperiment(row);
  }

  list(): Experiment[] {
    return (this.db.prepare('SELECT * FROM experiments ORDER BY id').all() as Row[]).map(toExperiment);
  }

  /**
   * An experiment is the project its runs belong to, so renaming it renames that project:
   * its runs stay its runs.
   */
  rename(id: string, name: string, now: number): void {
    const e = this.get(id);
    if (!e || e.name === name) return;
    this.db.transaction(() => {
      this.db.prepare('UPDATE experiments SET name = ?, updated_at = ? WHERE id = ?').run(name, now, Number(id));
      this.db.prepare('UPDATE runs SET project = ? WHERE project = ?').run(name, e.name);
    })();
  }

  setStage(id: string, stage: 'active' | 'deleted', now: number): void {
    this.db.prepare('UPDATE experiments SET lifecycle_stage = ?, updated_at = ? WHERE id = ?').run(stage, now, Number(id));
  }

  setTag(id: string, key: string, value: string, now: number): void {
    const e = this.get(id);
    if (!e) return;
    this.db
      .prepare('UPDATE experiments SET tags = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify({ ...e.tags, [key]: value }), now, Number(id));
  }
}
