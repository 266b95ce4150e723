import { Hono } from 'hono';
import type { AnalystService } from '../../service/service.ts';

/** Liveness for load balancers and Prometheus exposition of the service's own counters. */
export function systemRoutes(service: AnalystService, startedAt: number): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => {
    // A trivial query proves the database file is still readable, not just that the process lives.
    service.store.db.prepare('SELECT 1').get();
    return c.json({ status: 'ok', uptime_s: Math.round((Date.now() - startedAt) / 1000), active_runs: service.states.size });
  });
  app.get('/metrics', async (c) => {
    const { registry } = service.telemetry;
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
  });
  return app;
}
