// Reading big runs: a chart of a 1M-point series and of a 10M-point run (four series of 2.5M), over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/http/server.ts';
import { loadConfig } from '../src/service/config.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';

const CHUNK = 100_000;

/**
 * Stores a run's points the way ingest numbers and summarises them (the series writer), without
 * their events: reading a chart never touches events, and the figure is about reading.
 */
export async function fillRun(store: SqliteStore, names: string[], points: number): Promise<string> {
  const run = (await store.createRun({ name: `big-${points}`, project: 'bench', config: {}, meta: {}, tags: {} }, Date.now())).id;
  for (let from = 0; from < points; from += CHUNK) {
    await store.transaction(async () => {
      const w = store.series.writer(run);
      for (let i = from; i < Math.min(points, from + CHUNK); i++) {
        for (const name of names) w.add(name, i, null, name === 'lr' ? 1e-3 : 2 / (1 + i * 1e-4) + Math.random() * 0.05 + (i % 99_991 === 0 ? 10 : 0), i, i + 1);
      }
      w.finish();
    });
  }
  return run;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function timeRequests(url: string, rounds: number): Promise<{ p50: number; p95: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let k = 0; k < rounds + 3; k++) {
    const started = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    if (k >= 3) times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), bytes };
}

export async function benchSeriesReads() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-series-'));
  const path = join(dir, 'a.db');
  try {
    const store = new SqliteStore(path);
    const fillStarted = performance.now();
    const oneM = await fillRun(store, ['loss'], 1_000_000);
    const tenM = await fillRun(store, ['loss', 'val_loss', 'lr', 'grad_norm'], 2_500_000);
    const fill_s = (performance.now() - fillStarted) / 1000;
    await store.close();
    const server = await startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: path, ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' }));
    try {
      const chart = (run: string, q: string) => `${server.url}/runs/${run}/metrics?${q}`;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sample = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
      const one = await timeRequests(chart(oneM, 'names=train_loss&max_points=1000'), 40);
      const ten = await timeRequests(chart(tenM, 'names=train_loss&max_points=1000'), 40);
      const zoom = await timeRequests(chart(tenM, 'names=train_loss&max_points=1000&from_step=1200000&to_step=1250000'), 40);
      const dashboard = await timeRequests(chart(tenM, 'names=train_loss,val_loss,test_loss,train_acc,val_acc,test_acc,lr,grad_norm,epoch_time&max_points=500'), 10);
      clearInterval(sample);
      return { fill_s, one, ten, zoom, dashboard, rss_growth_mb: (rssPeak - rssBefore) / 2 ** 20 };
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/series.ts` prints these figures alone.
if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchSeriesReads());
