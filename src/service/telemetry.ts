import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's own Prometheus metrics, on a registry of its own so tests can run several services. */
export function createTelemetry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsIngested: new Counter({
      name: 'analyst_events_ingested_total',
      help: 'Events stored, by door',
      labelNames: ['door'] as const,
      registers: [registry],
    }),
    batchesRefused: new Counter({
      name: 'analyst_batches_refused_total',
      help: 'Batches refused with a time to retry because the service was too far behind in storing them, by door',
      labelNames: ['door'] as const,
      registers: [registry],
    }),
    pointsIngested: new Counter({
      name: 'analyst_points_ingested_total',
      help: 'Metric values stored',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'analyst_ingest_batch_seconds',
      help: 'Time to validate, store (committed) and diagnose one batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    findingsRaised: new Counter({
      name: 'analyst_findings_raised_total',
      help: 'Findings raised, by kind and severity',
      labelNames: ['kind', 'severity'] as const,
      registers: [registry],
    }),
    seriesRowsRead: new Counter({
      name: 'analyst_series_rows_read_total',
      help: 'Rows read to answer metric history requests (points and summaries)',
      registers: [registry],
    }),
    groupCommitBatches: new Histogram({
      name: 'analyst_group_commit_batches',
      help: 'Batches written in one transaction by group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    contextRebuildEvents: new Counter({
      name: 'analyst_context_rebuild_events_total',
      help: 'Events read to bring run contexts back into memory, from a snapshot (its tail) or from the start (a whole run)',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    sseClients: new Gauge({ name: 'analyst_sse_clients', help: 'Open SSE streams', registers: [registry] }),
    wsClients: new Gauge({ name: 'analyst_ws_clients', help: 'Open WebSocket connections', registers: [registry] }),
  };
}
export type Telemetry = ReturnType<typeof createTelemetry>;
