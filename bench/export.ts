// Exports of a 200k-event run (two series): time and the server's event-loop delay while each is written.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchServer, createRun, stopBenchServer } from './harness.ts';

const EVENTS = 200_000;
const BATCH = 10_000;
export const EXPORT_FORMATS = ['format=json', 'format=csv&level=step', 'format=tfevents'] as const;

export async function benchExports(): Promise<Array<{ query: string; mb: number; ms: number; loop_p99_ms: number; loop_max_ms: number }>> {
  const server = await benchServer();
  try {
    const run = await createRun(server.url);
    for (let from = 0; from < EVENTS; from += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({ type: 'metrics', step: from + k, epoch: Math.floor((from + k) / 1000), values: { loss: 1 / (1 + from + k), lr: 1e-3 } }));
      const res = await fetch(`${server.url}/runs/${run}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
      if (res.status !== 200) throw new Error(`ingest: ${res.status}`);
      await res.arrayBuffer();
    }
    const out = [];
    for (const query of EXPORT_FORMATS) {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const started = performance.now();
      // Read and dropped as it comes, as a download to disk would be.
      const res = await fetch(`${server.url}/runs/${run}/export?${query}`);
      let bytes = 0;
      for await (const chunk of res.body!) bytes += chunk.byteLength;
      const ms = performance.now() - started;
      delay.disable();
      out.push({ query, mb: bytes / 1e6, ms, loop_p99_ms: delay.percentile(99) / 1e6, loop_max_ms: delay.max / 1e6 });
    }
    return out;
  } finally {
    await stopBenchServer(server);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchExports());
