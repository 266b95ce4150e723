import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { startServer } from '../src/http/server.ts';
import { loadConfig } from '../src/service/config.ts';
import { stringifyJson } from '../src/domain/values.ts';
import { migrate } from '../src/store/migrations.ts';

const BATCH = 1000;

/**
 * The trainer side, in its own thread as a real trainer is in its own process: it posts the
 * prepared batches one after another, each waiting for its acknowledgement. Plain JS, because
 * worker threads do not inherit the TypeScript loader.
 */
const POSTER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const started = performance.now();
  for (const body of workerData.bodies) {
    const res = await fetch(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status !== 200) throw new Error('ingest failed: ' + res.status + ' ' + (await res.text()));
    await res.arrayBuffer();
  }
  parentPort.postMessage((performance.now() - started) / 1000);
})().catch((err) => { throw err; });
`;

export function postFromWorker(url: string, bodies: string[]): Promise<number> {
  const worker = new Worker(POSTER, { eval: true, workerData: { url, bodies } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
const METRICS = ['loss', 'val_loss', 'lr', 'grad_norm'];

export function makeBatch(batch: number): Array<{ type: 'metrics'; step: number; values: Record<string, number> }> {
  return Array.from({ length: BATCH }, (_, i) => {
    const step = batch * BATCH + i;
    return { type: 'metrics' as const, step, values: { loss: 2 / (1 + step * 1e-3) + Math.random() * 0.01, val_loss: 1.5, lr: 1e-3, grad_norm: 1 + Math.random() } };
  });
}

/** The ceiling: the same rows (events + points) inserted straight into SQLite, same pragmas, one transaction per batch. */
function rawInsertRate(batches: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrate(db);
  // A run id like the service's (32 hex characters): the same rows means the same keys in every index.
  const run = randomUUID().replaceAll('-', '');
  db.prepare(`INSERT INTO runs (id, project, name, status, created_at, updated_at) VALUES (?, 'p', 'n', 'running', 0, 0)`).run(run);
  const ev = db.prepare('INSERT INTO events (run, seq, ts, type, event_id, body) VALUES (?, ?, ?, ?, ?, ?)');
  const pt = db.prepare('INSERT INTO points (run, name, step, epoch, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const data = Array.from({ length: batches }, (_, b) => makeBatch(b));
  const setLastSeq = db.prepare('UPDATE runs SET last_seq = ? WHERE id = ?');
  const now = Date.now();
  let seq = 0;
  const started = performance.now();
  for (const batch of data) {
    db.transaction(() => {
      for (const e of batch) {
        seq++;
        ev.run(run, seq, now, 'metrics', null, stringifyJson(e));
        for (const name of METRICS) pt.run(run, name, e.step, null, e.values[name], now, seq);
      }
      setLastSeq.run(seq, run);
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (batches * BATCH * METRICS.length) / seconds;
}

/** Durable REST ingest: the real server, batches of 1,000 events, each acknowledged after commit. */
async function restIngestRate(batches: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rest-'));
  const server = await startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: join(dir, 'a.db'), ANALYST_PORT: 0 }));
  const run = (await (await fetch(`${server.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' })).json()) as { id: string };
  const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ events: makeBatch(b) }));
  const seconds = await postFromWorker(`${server.url}/runs/${run.id}/events`, bodies);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return (batches * BATCH * METRICS.length) / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Rounds alternate ceiling and REST so that disk and CPU noise hit both alike; the figures are
 * the medians, and the ratio is the median of the per-round ratios.
 */
export async function benchIngest(batches = 60, rounds = 5) {
  rawInsertRate(5);
  await restIngestRate(5);
  const ceilings: number[] = [];
  const rests: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ceiling = rawInsertRate(batches);
    const rest = await restIngestRate(batches);
    ceilings.push(ceiling);
    rests.push(rest);
    ratios.push(rest / ceiling);
  }
  return { ceiling_points_per_s: median(ceilings), rest_points_per_s: median(rests), ratio: median(ratios) };
}
