// MLflow `runs/search` over 1,100 runs: its time and the server's event-loop delay while it runs.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchServer, stopBenchServer } from './harness.ts';

const RUNS = 1100;
const ROUNDS = 5;

export async function benchMlflowSearch(): Promise<{ runs: number; p50_ms: number; loop_p99_ms: number; loop_max_ms: number }> {
  const server = await benchServer();
  try {
    const api = `${server.url}/api/2.0/mlflow`;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const { experiment_id } = await post('/experiments/create', { name: 'search' });
    await Promise.all(
      Array.from({ length: 20 }, async (_, w) => {
        for (let i = w; i < RUNS; i += 20) {
          const { run } = await post('/runs/create', { experiment_id, run_name: `run-${i}`, start_time: Date.now() });
          const timestamp = Date.now();
          await post('/runs/log-batch', {
            run_id: run.info.run_id,
            metrics: [{ key: 'loss', value: 1 / (i + 1), timestamp, step: 1 }, { key: 'accuracy', value: i / RUNS, timestamp, step: 1 }],
            params: [{ key: 'lr', value: String(10 ** -(1 + (i % 4))) }],
          });
        }
      }),
    );
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const times: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      delay.enable();
      const started = performance.now();
      await post('/runs/search', { experiment_ids: [experiment_id], filter: "metrics.loss < 0.5 and params.lr = '0.01'", order_by: ['metrics.accuracy DESC'], max_results: 100 });
      times.push(performance.now() - started);
      delay.disable();
    }
    times.sort((a, b) => a - b);
    return { runs: RUNS, p50_ms: times[ROUNDS >> 1], loop_p99_ms: delay.percentile(99) / 1e6, loop_max_ms: delay.max / 1e6 };
  } finally {
    await stopBenchServer(server);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchMlflowSearch());
