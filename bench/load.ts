// Many live runs on loopback: a bounded load generator (trainers in their own thread), acknowledgement
// latency, connection errors and the server's event-loop delay; and the loop delay during a big import.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { withServer } from './harness.ts';

/**
 * Trainers: each run posts a batch every `1 / perSecond` seconds for `seconds`, waiting for its
 * acknowledgement as a trainer does, on one keep-alive connection of its own. Start times are spread
 * over the first period so the load is even, not a thundering herd. A batch the server refuses
 * with a Retry-After (overloaded) is sent again after that wait, give or take a quarter so the
 * refused do not come back together; its latency runs from its first sending to its acknowledgement.
 */
const TRAINERS = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, runs, perSecond, events, seconds } = workerData;
const latencies = [];
const steady = [];
const errors = {};
let failed = 0;
let refused = 0;
const period = 1000 / perSecond;
const start = performance.now() + 200;
const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
function post(agent, run, step, started = performance.now()) {
  const batch = [];
  for (let i = 0; i < events; i++) batch.push({ type: 'metrics', step: step + i, values: { loss: 1 / (1 + step + i), lr: 1e-3 } });
  const body = JSON.stringify(batch);
  return new Promise((resolve) => {
    const fail = (kind) => { failed++; errors[kind] = (errors[kind] || 0) + 1; resolve(); };
    const req = http.request(url + '/runs/' + run + '/events', { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const retryAfter = Number(res.headers['retry-after']);
        if ((res.statusCode === 503 || res.statusCode === 429) && retryAfter > 0) {
          refused++;
          return sleepUntil(performance.now() + retryAfter * 1000 * (0.75 + Math.random() / 2)).then(() => post(agent, run, step, started)).then(resolve);
        }
        if (res.statusCode !== 200) return fail('HTTP ' + res.statusCode);
        latencies.push(performance.now() - started);
        // After the first period every run has its connection and its context: the steady state.
        if (started >= start + 1000 / perSecond) steady.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', (e) => fail(e.code || e.message));
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}
(async () => {
  const agents = [];
  await Promise.all(runs.map(async (run, r) => {
    const offset = (r / runs.length) * period;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let k = 0; k < seconds * perSecond; k++) {
      await sleepUntil(start + offset + k * period);
      await post(agent, run, k * events);
    }
  }));
  const at = (xs, p) => {
    const sorted = Float64Array.from(xs).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  };
  parentPort.postMessage({ acked: latencies.length, failed, refused, errors, p50: at(latencies, 0.5), p99: at(latencies, 0.99), steadyP99: at(steady, 0.99), elapsed: (performance.now() - start) / 1000 });
  for (const agent of agents) agent.destroy();
})();
`;

export interface LoadFigures {
  runs: number;
  events_per_s: number;
  acked: number;
  failed: number;
  /** Refusals with a Retry-After (the server overloaded), each followed by a retry of the same batch. */
  refused: number;
  errors: Record<string, number>;
  ack_p50_ms: number;
  ack_p99_ms: number;
  /** After the first period, when every run has connected and sent once. */
  steady_ack_p99_ms: number;
  loop_p99_ms: number;
  loop_max_ms: number;
  /** Share of the time the server's event loop was busy: near 1, it cannot take more. */
  loop_busy: number;
  /** The event loop's busy time per batch acknowledged: what one batch costs the server's thread. */
  loop_ms_per_batch: number;
  /**
   * The CPU time of the server's thread per batch acknowledged (Linux; NaN elsewhere): unlike the
   * busy time, it leaves out the time the thread waited for a core, so it reads the same on a busy machine.
   */
  cpu_ms_per_batch: number;
}

/** CPU ms the process's main thread (its thread id is the pid) has used, from /proc; NaN where there is none. */
function mainThreadCpuMs(): number {
  try {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in ticks of 10 ms.
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** `runs` live runs, each sending `events` events `perSecond` times a second for `seconds`. */
export function benchLiveRuns(runs: number, perSecond: number, events: number, seconds = 10): Promise<LoadFigures> {
  return withServer(async (server) => {
    const ids: string[] = [];
    for (let i = 0; i < runs; i++) ids.push((await server.service.createRun({ name: `live-${i}`, project: 'load', config: {}, meta: {}, tags: {} })).run.id);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const busy = performance.eventLoopUtilization();
    const cpu = mainThreadCpuMs();
    const worker = new Worker(TRAINERS, { eval: true, workerData: { url: server.url, runs: ids, perSecond, events, seconds } });
    const r = await new Promise<{ acked: number; failed: number; refused: number; errors: Record<string, number>; p50: number; p99: number; steadyP99: number; elapsed: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    loop.disable();
    const cpuMs = mainThreadCpuMs() - cpu;
    const { utilization, active } = performance.eventLoopUtilization(busy);
    return {
      runs,
      events_per_s: (r.acked * events) / r.elapsed,
      acked: r.acked,
      failed: r.failed,
      refused: r.refused,
      errors: r.errors,
      ack_p50_ms: r.p50,
      ack_p99_ms: r.p99,
      steady_ack_p99_ms: r.steadyP99,
      loop_p99_ms: loop.percentile(99) / 1e6,
      loop_max_ms: loop.max / 1e6,
      loop_busy: utilization,
      loop_ms_per_batch: active / r.acked,
      cpu_ms_per_batch: cpuMs / r.acked,
    };
  });
}

/** The server's event-loop delay while it imports a `lines`-line JSONL file posted to it. */
export function benchImportLoopDelay(lines = 100_000): Promise<{ import_s: number; loop_p99_ms: number; loop_max_ms: number }> {
  return withServer(async (server, run) => {
    // Encoded before the measurement: the client shares the server's thread here, and turning a 5 MB
    // string into bytes (30 to 140 ms in one piece) is the client's work, not the service's.
    const body = Buffer.from(Array.from({ length: lines }, (_, i) => JSON.stringify({ step: i, loss: 2 / (1 + i / 1000), lr: 1e-3 })).join('\n') + '\n');
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = performance.now();
    const res = await fetch(`${server.url}/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body });
    if (res.status !== 200) throw new Error(`import: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    const import_s = (performance.now() - started) / 1000;
    loop.disable();
    return { import_s, loop_p99_ms: loop.percentile(99) / 1e6, loop_max_ms: loop.max / 1e6 };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchLiveRuns(1000, 1, 10, 8));
  console.log(await benchImportLoopDelay());
}
