// What an MLflow client is told about routes the receiver lacks, and what its user sees in the log.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { AnalystService } from '../../src/service/service.ts';
import { createTelemetry } from '../../src/service/telemetry.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { api } from '../helpers/server.ts';

const lines: Array<{ level: string; obj: any; msg?: string }> = [];
const log = {
  info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, msg }),
};
let dir: string;
let store: SqliteStore;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analyst-mlflow-errors-'));
  store = new SqliteStore(join(dir, 'analyst.db'));
  const service = new AnalystService({ store, telemetry: createTelemetry(), limits: { window: 64, maxMetrics: 64, recentEvents: 8 }, maxActiveRuns: 10 });
  const app = createApp({ service, log, maxBodyBytes: 1 << 20, maxBatchEvents: 100 });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('answers an unknown MLflow route 404 ENDPOINT_NOT_FOUND in MLflow shape, under both prefixes', async () => {
  for (const [method, path] of [
    ['POST', '/api/2.0/mlflow/runs/no-such-thing'],
    ['GET', '/api/2.0/mlflow/registered-models/get'],
    ['GET', '/ajax-api/2.0/mlflow/nothing'],
    ['DELETE', '/api/2.0/mlflow-artifacts/no-such-route'],
  ]) {
    const r = await api(url, path, { method, ...(method === 'POST' ? { json: {} } : {}) });
    expect(r.status, path).toBe(404);
    expect(r.body, path).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: expect.stringContaining(path) });
  }
  // The service's own routes keep the service's own shape.
  const own = await api(url, '/no-such-route');
  expect(own.body.error.code).toBe('not_found');
});

it('logs one line per MLflow request at info: method, path, status and duration', async () => {
  lines.length = 0;
  await api(url, '/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope');
  await api(url, '/api/2.0/mlflow/experiments/create', { method: 'POST', json: { name: 'logged' } });
  await api(url, '/api/2.0/mlflow/runs/missing', { method: 'POST', json: {} });
  await api(url, '/runs');
  const access = lines.filter((l) => l.msg === 'mlflow request');
  expect(access.map((l) => [l.level, l.obj.method, l.obj.path, l.obj.status])).toEqual([
    ['info', 'GET', '/api/2.0/mlflow/experiments/get-by-name', 404],
    ['info', 'POST', '/api/2.0/mlflow/experiments/create', 200],
    ['info', 'POST', '/api/2.0/mlflow/runs/missing', 404],
  ]);
  for (const l of access) expect(l.obj.ms).toBeGreaterThanOrEqual(0);
});
