// What the benchmarks share: a real server (on a temp SQLite file, or a PostgreSQL schema) with one run, worker threads, the batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startServer, type RunningServer } from '../src/http/server.ts';
import { loadConfig } from '../src/service/config.ts';

export const BATCH = 1000;
export const METRICS = ['loss', 'val_loss', 'lr', 'grad_norm'];

/** One batch of step-level metrics events, numbered on from earlier batches. */
export function makeBatch(batch: number): Array<{ type: 'metrics'; step: number; values: Record<string, number> }> {
  return Array.from({ length: BATCH }, (_, i) => {
    const step = batch * BATCH + i;
    return { type: 'metrics' as const, step, values: { loss: 2 / (1 + step * 1e-3) + Math.random() * 0.01, val_loss: 1.5, lr: 1e-3, grad_norm: 1 + Math.random() } };
  });
}

/** The real server on an ephemeral loopback port, on `database` (a PostgreSQL URL) or else a fresh SQLite file; artifacts in a temp dir. */
export function benchServer(database?: string): Promise<RunningServer & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const env = { ANALYST_LOG_LEVEL: 'silent', ANALYST_ARTIFACTS_DIR: join(dir, 'artifacts') };
  return startServer(loadConfig(env, { ANALYST_DB: database ?? join(dir, 'a.db'), ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' })).then(
    (server) => ({ ...server, dir }),
    (err) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    },
  );
}

export async function stopBenchServer(server: RunningServer & { dir: string }): Promise<void> {
  await server.close();
  rmSync(server.dir, { recursive: true, force: true });
}

/** Creates a run through the server's REST door; its id. */
export async function createRun(url: string, name = 'bench'): Promise<string> {
  const res = await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  return ((await res.json()) as { id: string }).id;
}

/** The real server (see benchServer) with one run created. */
export async function withServer<T>(fn: (server: RunningServer, run: string) => Promise<T>, database?: string): Promise<T> {
  const server = await benchServer(database);
  try {
    return await fn(server, await createRun(server.url));
  } finally {
    await stopBenchServer(server);
  }
}

/**
 * Runs the other side of a measurement (a trainer, dashboards) in its own thread, as it would be
 * its own process; resolves with its first message. Plain CommonJS source, because worker
 * threads do not inherit the TypeScript loader.
 */
export function runWorker<T>(source: string, data: unknown): Promise<T> {
  const worker = new Worker(source, { eval: true, workerData: data });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
