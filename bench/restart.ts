// The first request to a 1M-event run after a restart: from the shutdown snapshot, from the last periodic one (a crash), from the start (no snapshot).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { startServer, type RunningServer } from '../src/http/server.ts';
import { loadConfig } from '../src/service/config.ts';

const EVENTS = 1_000_000;
const BATCH = 10_000;

const start = (path: string) => startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: path, ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' }), { ...process.env, ANALYST_LLM: 'offline' });

/** The first request's time, the events it read, and the server's event-loop delay while it was answered. */
async function firstRequest(server: RunningServer, run: string): Promise<{ ms: number; events: number; loop_max_ms: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  const res = await fetch(`${server.url}/runs/${run}`);
  await res.arrayBuffer();
  const ms = performance.now() - started;
  delay.disable();
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const events = [...text.matchAll(/^analyst_context_rebuild_events_total\{[^}]*\} (\S+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return { ms, events, loop_max_ms: delay.max / 1e6 };
}

export async function benchRestart() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-restart-'));
  const path = join(dir, 'a.db');
  try {
    let server = await start(path);
    const run = ((await (await fetch(`${server.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"long"}' })).json()) as { id: string }).id;
    // The last 4,999 events in small batches: the last periodic snapshot (every 5,000) is that far behind the end.
    for (let from = 0; from < EVENTS - 1; ) {
      const size = from + BATCH <= EVENTS - 5000 ? BATCH : 1000;
      const events = Array.from({ length: Math.min(size, EVENTS - 1 - from) }, (_, k) => ({ type: 'metrics', step: from + k, values: { loss: 2 / (1 + (from + k) / 1e4) + 0.01 * Math.sin(from + k) } }));
      const res = await fetch(`${server.url}/runs/${run}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
      if (res.status !== 200) throw new Error(`ingest: ${res.status}`);
      await res.arrayBuffer();
      from += size;
    }
    // A crash: no snapshot at shutdown.
    server.service.states.checkpointAll = async () => {};
    await server.close();
    server = await start(path);
    const crash = await firstRequest(server, run);
    await server.close();
    server = await start(path);
    const shutdown = await firstRequest(server, run);
    await server.close();
    const db = new Database(path);
    db.prepare('DELETE FROM run_snapshots').run();
    db.close();
    server = await start(path);
    const replay = await firstRequest(server, run);
    await server.close();
    return { shutdown, crash, replay };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRestart());
