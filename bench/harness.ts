// What the benchmarks share: a real server on a temp file with one run, worker threads, the batches.
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

/** The real server on an ephemeral loopback port and a fresh SQLite file, with one run created. */
export async function withServer<T>(fn: (server: RunningServer, run: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const server = await startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: join(dir, 'a.db'), ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' }));
  try {
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' });
    return await fn(server, ((await res.json()) as { id: string }).id);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
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
