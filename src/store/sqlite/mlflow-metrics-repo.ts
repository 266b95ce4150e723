import type { MlflowMetricPoint, MlflowMetricStore } from '../mlflow-metrics.ts';
import type { SqliteConnection } from './connection.ts';
import { toMlflowPoint, type MlflowMetricRow } from '../module-rows.ts';

/** Metrics as MLflow reads them, from the series tables. */
export class MlflowMetricsRepo implements MlflowMetricStore {
  private readonly latestStmt;
  private readonly historyStmt;

  constructor({ db }: SqliteConnection) {
    this.latestStmt = db.prepare(
      `SELECT name, step, value, ts FROM (
         SELECT s.name, p.step, p.value, p.ts, ROW_NUMBER() OVER (PARTITION BY s.name ORDER BY COALESCE(p.step, 0) DESC, p.ts DESC, p.seq DESC) AS nth
         FROM series s JOIN samples p ON p.series = s.id WHERE s.run = ?)
       WHERE nth = 1 ORDER BY name`,
    );
    this.historyStmt = db.prepare(
      `SELECT s.name, p.step, p.value, p.ts FROM series s JOIN samples p ON p.series = s.id WHERE s.run = ? AND s.name = ? ORDER BY COALESCE(p.step, 0), p.ts, p.seq`,
    );
  }

  async latest(run: string): Promise<MlflowMetricPoint[]> {
    return (this.latestStmt.all(run) as MlflowMetricRow[]).map(toMlflowPoint);
  }

  async history(run: string, key: string): Promise<MlflowMetricPoint[]> {
    return (this.historyStmt.all(run, key) as MlflowMetricRow[]).map(toMlflowPoint);
  }
}
