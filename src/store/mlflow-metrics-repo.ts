import type Database from 'better-sqlite3';

export interface MlflowMetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

interface Row {
  name: string;
  step: number | null;
  value: number | null;
  ts: number;
}

const toPoint = (r: Row): MlflowMetricPoint => ({ key: r.name, value: r.value ?? NaN, timestamp: r.ts, step: r.step ?? 0 });

/**
 * Metrics as MLflow reads them: ordered by step, then time, whatever order they arrived in
 * (asynchronous logging sends batches out of order), and a metric's "latest" value is the one at
 * its highest step, then its newest time, as MLflow's own store decides.
 */
export class MlflowMetricsRepo {
  private readonly latestStmt;
  private readonly historyStmt;

  constructor(db: Database.Database) {
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

  latest(run: string): MlflowMetricPoint[] {
    return (this.latestStmt.all(run) as Row[]).map(toPoint);
  }

  history(run: string, key: string): MlflowMetricPoint[] {
    return (this.historyStmt.all(run, key) as Row[]).map(toPoint);
  }
}
