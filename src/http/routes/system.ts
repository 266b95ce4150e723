import { Hono } from 'hono';
import type { IntegrityReport } from '../../domain/integrity.ts';
import type { AnalystService } from '../../service/service.ts';

/** Counts only: the probe needs no token, and run ids and names are for the log and the operator. */
function integritySummary(r: IntegrityReport) {
  return {
    ok: r.ok,
    checked_at: r.checked_at,
    problems: r.problems.length,
    lost_runs: r.lost.length,
    lost_events: r.lost.reduce((n, l) => n + l.acknowledged_seq - l.stored_seq, 0),
    ledger_error: r.ledger_error !== null,
  };
}

/** Liveness for load balancers and Prometheus exposition of the service's own counters. */
export function systemRoutes(service: AnalystService, startedAt: number): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    // A trivial query proves the database file is still readable, not just that the process lives.
    await service.store.ping();
    return c.json({
      status: 'ok',
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      active_runs: service.states.size,
      integrity: integritySummary(await service.store.integrityReport()),
    });
  });
  app.get('/metrics', async (c) => {
    const { registry } = service.telemetry;
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
  });
  return app;
}
