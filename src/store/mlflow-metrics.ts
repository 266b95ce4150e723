export interface MlflowMetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/**
 * Metrics as MLflow reads them: ordered by step, then time, whatever order they arrived in
 * (asynchronous logging sends batches out of order), and a metric's "latest" value is the one at
 * its highest step, then its newest time, as MLflow's own store decides.
 */
export interface MlflowMetricStore {
  latest(run: string): Promise<MlflowMetricPoint[]>;
  history(run: string, key: string): Promise<MlflowMetricPoint[]>;
}
