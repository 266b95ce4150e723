import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringifyEvent } from '../src/domain/values.ts';
import { migrate } from '../src/store/sqlite/migrations.ts';
import { BATCH, makeBatch, METRICS, runWorker, withServer } from './harness.ts';

/**
 * The trainer side: it posts the prepared batches one after another, each waiting for its
 * acknowledgement, and reports the seconds it took.
 */
export const POSTER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const started = performance.now();
  for (const body of workerData.bodies) {
    const res = await fetch(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status !== 200) throw new Error('ingest failed: ' + res.status + ' ' + (await res.text()));
    await res.arrayBuffer();
  }
  parentPort.postMessage((performance.now() - started) / 1000);
})();
`;

/** The ceiling: the same rows (events + points, without their summaries) inserted straight into SQLite, same pragmas, one transaction per batch. */
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
  const series = METRICS.map((name) => Number(db.prepare('INSERT INTO series (run, name) VALUES (?, ?)').run(run, name).lastInsertRowid));
  const pt = db.prepare('INSERT INTO samples (series, i, step, epoch, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const setCount = db.prepare('UPDATE series SET count = ? WHERE id = ?');
  const data = Array.from({ length: batches }, (_, b) => makeBatch(b));
  const setLastSeq = db.prepare('UPDATE runs SET last_seq = ? WHERE id = ?');
  const now = Date.now();
  let seq = 0;
  const started = performance.now();
  for (const batch of data) {
    db.transaction(() => {
      for (const e of batch) {
        seq++;
        ev.run(run, seq, now, 'metrics', null, stringifyEvent(e));
        METRICS.forEach((name, m) => pt.run(series[m], seq - 1, e.step, null, e.values[name], now, seq));
      }
      for (const id of series) setCount.run(seq, id);
      setLastSeq.run(seq, run);
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (batches * BATCH * METRICS.length) / seconds;
}

/** Durable REST ingest: the real server (on `database`, else a fresh SQLite file), batches of 1,000 events, each acknowledged after commit. */
export function restIngestRate(batches: number, database?: string): Promise<number> {
  return withServer(async (server, run) => {
    const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ events: makeBatch(b) }));
    const seconds = await runWorker<number>(POSTER, { url: `${server.url}/runs/${run}/events`, bodies });
    return (batches * BATCH * METRICS.length) / seconds;
  }, database);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
