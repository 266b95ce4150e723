// Live-stream figures: ingest → SSE subscriber latency, WebSocket ingest rate, TensorBoard parse speed.
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { maskedCrc32c } from '../src/ingest/tfevents/crc.ts';
import { TfeventsReader } from '../src/ingest/tfevents/event-file.ts';
import { EventType } from '../src/ingest/tfevents/event-proto.ts';
import { makeBatch, METRICS, runWorker, withServer } from './harness.ts';

const METRICS_PER_EVENT = METRICS.length;
const WARM_UP_MS = 1000;

/** Wall-clock time in milliseconds with sub-millisecond resolution, comparable across threads. */
const clock = () => performance.timeOrigin + performance.now();

/**
 * The trainer, in its own thread: every 10 ms it posts the events due at the target rate, one
 * request at a time as a trainer would, each event's key holding the time it was sent.
 */
const TRAINER = `
const { parentPort, workerData } = require('node:worker_threads');
const clock = () => performance.timeOrigin + performance.now();
(async () => {
  const { url, eventsPerSecond, seconds } = workerData;
  const start = clock();
  let due = 0, sent = 0, step = 0;
  while (clock() - start < seconds * 1000) {
    due = ((clock() - start) / 1000) * eventsPerSecond;
    const n = Math.floor(due - sent);
    if (n > 0) {
      const at = clock();
      const events = [];
      for (let i = 0; i < n; i++, step++) events.push({ type: 'metrics', step, event_id: step + '@' + at, values: { loss: 1 / (1 + step), val_loss: 1.5, lr: 1e-3, grad_norm: 1 } });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
      if (res.status !== 200) throw new Error('ingest failed: ' + res.status);
      await res.arrayBuffer();
      sent += n;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  parentPort.postMessage({ sent, seconds: (clock() - start) / 1000 });
})();
`;

/**
 * Dashboards, in their own thread: SSE clients reading the raw stream with eventsource-parser,
 * noting for each event its key and when it was parsed.
 */
const DASHBOARDS = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { createParser } = require('eventsource-parser');
const clock = () => performance.timeOrigin + performance.now();
(async () => {
  const { url, subscribers, expected } = workerData;
  // Preallocated typed arrays and a regex instead of JSON.parse: the client must make almost no
  // garbage, or its own GC pauses show up in the latency tail the benchmark means to measure.
  const capacity = 4 * 1000 * 1000;
  const steps = new Float64Array(capacity);
  const sentAt = new Float64Array(capacity);
  const parsedAt = new Float64Array(capacity);
  let n = 0;
  const KEY = /"event_id":"(\\d+)@([\\d.]+)"/;
  // node:http rather than fetch: fetch's web streams add their own hops to every chunk, and the
  // figure is meant to measure the service, not the client library.
  const clients = Array.from({ length: subscribers }, () => new Promise((done) => {
    let count = 0;
    const parser = createParser({
      onEvent: (m) => {
        if (m.event !== 'metrics') return;
        const at = clock();
        const k = KEY.exec(m.data);
        if (k && n < capacity) {
          steps[n] = Number(k[1]);
          sentAt[n] = Number(k[2]);
          parsedAt[n++] = at;
        }
        count++;
      },
    });
    const req = http.get(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        parser.feed(chunk);
        if (count >= expected.value) req.destroy();
      });
      res.on('close', done);
    });
    req.on('error', done);
  }));
  parentPort.on('message', (n) => (expected.value = n));
  parentPort.postMessage('ready');
  await Promise.all(clients);
  parentPort.postMessage({ steps: steps.subarray(0, n), sentAt: sentAt.subarray(0, n), parsedAt: parsedAt.subarray(0, n) });
})();
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface SseLatency {
  points_per_s: number;
  subscribers: number;
  deliveries: number;
  /** Trainer's send → subscriber parsed it: HTTP, validation, durable commit, fan-out, SSE. */
  e2e_p50_ms: number;
  e2e_p99_ms: number;
  /** Commit → subscriber parsed it: the stream alone. */
  fanout_p50_ms: number;
  fanout_p99_ms: number;
  /** The machine's 1-minute load average at the end: latency tails follow it on a shared machine. */
  load_avg: number;
}

/** Ingest → SSE latency with `subscribers` clients on one run, the trainer posting at `pointsPerSecond`. */
export async function benchSseLatency(pointsPerSecond: number, subscribers = 10, seconds = 6): Promise<SseLatency> {
  return withServer(async (server, run) => {
    const committed = new Map<number, number>();
    server.service.bus.subscribe(run, (e) => {
      if (e.event_id) committed.set(Number(e.event_id.slice(0, e.event_id.indexOf('@'))), clock());
    });
    const dashboards = new Worker(DASHBOARDS, { eval: true, workerData: { url: `${server.url}/runs/${run}/stream`, subscribers, expected: { value: Infinity } } });
    const messages: unknown[] = [];
    const next = () => new Promise<unknown>((resolve, reject) => {
      if (messages.length) return resolve(messages.shift());
      dashboards.once('message', resolve);
      dashboards.once('error', reject);
    });
    await next();
    // The streams must be open before the first event, or the first ones arrive by replay.
    while (server.service.bus.listeners < subscribers + 1) await new Promise((r) => setTimeout(r, 10));
    const eventsPerSecond = pointsPerSecond / METRICS_PER_EVENT;
    const trainer = await runWorker<{ sent: number; seconds: number }>(TRAINER, { url: `${server.url}/runs/${run}/events`, eventsPerSecond, seconds });
    dashboards.postMessage(trainer.sent);
    const received = (await next()) as { steps: Float64Array; sentAt: Float64Array; parsedAt: Float64Array };
    await dashboards.terminate();
    const e2e: number[] = [];
    const fanout: number[] = [];
    // The first second warms up the JIT on both sides; latency is taken over the steady state.
    const steady = received.sentAt[0] + WARM_UP_MS;
    for (let i = 0; i < received.steps.length; i++) {
      if (received.sentAt[i] < steady) continue;
      e2e.push(received.parsedAt[i] - received.sentAt[i]);
      fanout.push(received.parsedAt[i] - committed.get(received.steps[i])!);
    }
    e2e.sort((a, b) => a - b);
    fanout.sort((a, b) => a - b);
    return {
      points_per_s: (trainer.sent * METRICS_PER_EVENT) / trainer.seconds,
      subscribers,
      deliveries: received.steps.length,
      e2e_p50_ms: percentile(e2e, 50),
      e2e_p99_ms: percentile(e2e, 99),
      fanout_p50_ms: percentile(fanout, 50),
      fanout_p99_ms: percentile(fanout, 99),
      load_avg: loadavg()[0],
    };
  });
}

/** The trainer over WebSocket: batches of 1,000 events sent one after another, each waiting for its ack. */
const WS_TRAINER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require('ws');
const ws = new WebSocket(workerData.url);
ws.on('open', () => {
  const started = performance.now();
  let i = 0;
  const sendNext = () => {
    if (i === workerData.bodies.length) {
      parentPort.postMessage((performance.now() - started) / 1000);
      ws.close();
      return;
    }
    ws.send(workerData.bodies[i++]);
  };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'ack') throw new Error('ingest failed: ' + data);
    sendNext();
  });
  sendNext();
});
`;

/** Durable WebSocket ingest in points/s, measured like the REST figure (same batches, same acks after commit). */
export async function benchWsIngest(batches = 60): Promise<{ ws_points_per_s: number }> {
  return withServer(async (server, run) => {
    const data = Array.from({ length: batches }, (_, b) => makeBatch(b));
    const bodies = data.map((events, b) => JSON.stringify({ type: 'events', run, id: b, events }));
    const seconds = await runWorker<number>(WS_TRAINER, { url: `${server.url.replace('http', 'ws')}/ws`, bodies });
    const points = data.reduce((n, events) => n + events.length * METRICS_PER_EVENT, 0);
    return { ws_points_per_s: points / seconds };
  });
}

const TAGS = ['train/loss', 'train/grad_norm', 'train/learning_rate', 'eval/loss'];

/** A TensorBoard event file as a writer makes it: one scalar per Event, framed and CRC'd. */
export function syntheticEventFile(megabytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (let step = 0; size < megabytes * 1024 * 1024; step++) {
    for (const tag of TAGS) {
      const data = EventType.encode(EventType.create({ wall_time: 1.7e9 + step, step, summary: { value: [{ tag, simple_value: 1 / (1 + step) }] } })).finish();
      const header = Buffer.alloc(12);
      header.writeBigUInt64LE(BigInt(data.length));
      header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
      const footer = Buffer.alloc(4);
      footer.writeUInt32LE(maskedCrc32c(data));
      parts.push(header, Buffer.from(data), footer);
      size += data.length + 16;
    }
  }
  return Buffer.concat(parts);
}

/** TensorBoard parse speed through the live reader, fed in 1 MiB pieces as a tailer reads them. */
export function benchTfeventsParse(megabytes = 64): { mb_per_s: number; scalars: number } {
  const file = syntheticEventFile(megabytes);
  const piece = 1024 * 1024;
  const read = () => {
    const reader = new TfeventsReader();
    let scalars = 0;
    for (let i = 0; i < file.length; i += piece) for (const e of reader.push(file.subarray(i, i + piece))) scalars += e.type === 'metrics' ? Object.keys(e.values).length : 0;
    return scalars;
  };
  read();
  const started = performance.now();
  const scalars = read();
  const seconds = (performance.now() - started) / 1000;
  return { mb_per_s: file.length / 1024 / 1024 / seconds, scalars };
}
