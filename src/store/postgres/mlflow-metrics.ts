// Metrics as MLflow reads them, from the run's series in PostgreSQL (see ../mlflow-metrics.ts).
import type { MlflowMetricPoint, MlflowMetricStore } from '../mlflow-metrics.ts';
import type { PgDatabase } from './pool.ts';
import { toMlflowPoint, type MlflowMetricRow } from '../module-rows.ts';

export class PgMlflowMetricStore implements MlflowMetricStore {
  constructor(private readonly pg: PgDatabase) {}

  async latest(run: string): Promise<MlflowMetricPoint[]> {
    const { rows } = await this.pg.query<MlflowMetricRow>(
      `SELECT DISTINCT ON (s.name COLLATE "C") s.name, p.step, p.value, p.ts
       FROM series s JOIN samples p ON p.series = s.id WHERE s.run = $1
       ORDER BY s.name COLLATE "C", COALESCE(p.step, 0) DESC, p.ts DESC, p.seq DESC`,
      [run],
    );
    return rows.map(toMlflowPoint);
  }

  async history(run: string, key: string): Promise<MlflowMetricPoint[]> {
    const { rows } = await this.pg.query<MlflowMetricRow>(
      `SELECT s.name, p.step, p.value, p.ts FROM series s JOIN samples p ON p.series = s.id
       WHERE s.run = $1 AND s.name = $2 ORDER BY COALESCE(p.step, 0), p.ts, p.seq`,
      [run, key],
    );
    return rows.map(toMlflowPoint);
  }
}
