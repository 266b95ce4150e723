import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { backoff } from '../../src/ingest/sources/upstream.ts';
import { loadConfig } from '../../src/service/config.ts';
import { api } from '../helpers/server.ts';
import { until } from './clients.ts';

/**
 * A trainer that streams SSE the way seed 5's service would: `retry: 50`, ids 1..total, honours
 * Last-Event-ID, and cuts each connection after `perConnection` events, halfway through the next.
 */
class Upstream {
  readonly lastEventIds: Array<string | undefined> = [];
  readonly open = new Set<ServerResponse>();
  total: number;
  private server: Server;
  url = '';

  constructor(
    total: number,
    private readonly perConnection: number,
    private readonly render: (id: number) => string,
  ) {
    this.total = total;
    this.server = createServer((req, res) => {
      const last = req.headers['last-event-id'] as string | undefined;
      this.lastEventIds.push(last);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 50\n\n: hello\n\n');
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      let id = Number(last ?? 0);
      const end = id + this.perConnection;
      const send = () => {
        if (res.destroyed) return;
        if (id >= this.total) return; // caught up: stay open, like a live trainer
        if (id === end) {
          res.write(`id: ${id + 1}\ndata: {"trunc`);
          setTimeout(() => res.socket?.destroy(), 5);
          return;
        }
        id++;
        res.write(`id: ${id}\n${this.render(id)}\n\n`);
        setImmediate(send);
      };
      send();
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics/stream`;
    return this;
  }

  close(): Promise<void> {
    for (const res of this.open) res.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const seed5 = (id: number) =>
  `event: metric_update\ndata: ${JSON.stringify({ timestamp: 1_700_000_000 + id, event_type: 'metric_update', step: id, epoch: 1, train_loss: 1 / id, learning_rate: 0.01, model_name: 'resnet' })}`;

let dir = '';
let server: RunningServer | undefined;
const upstreams: Upstream[] = [];

async function start(): Promise<RunningServer> {
  const config = loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: join(dir, 'analyst.db'), ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' });
  // The upstreams of these tests listen on loopback, which sources may read only when allowed.
  return (server = await startServer(config, { ...process.env, ANALYST_LLM: 'offline', ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' }));
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const u of upstreams.splice(0)) await u.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function metricSteps(base: string, run: string): Promise<number[]> {
  const events = (await api(base, `/runs/${run}/events?after_seq=0&limit=10000`)).body.events as any[];
  return events.filter((e) => e.type === 'metrics').map((e) => e.step);
}

describe('upstream SSE sources', () => {
  it('reconnects after mid-stream drops with Last-Event-ID, stores each event once, and resumes after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'analyst-src-'));
    const up = await new Upstream(60, 20, seed5).listen();
    upstreams.push(up);
    let s = await start();
    const created = await api(s.url, '/sources', {
      method: 'POST',
      json: { url: up.url, run: 'upstream-run', project: 'live', headers: { authorization: 'Bearer upstream-secret' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.headers).toEqual({ authorization: '***' });
    const run = created.body.run;
    // The same subscription again is the first one, not a second reader of the same events.
    const twice = await api(s.url, '/sources', { method: 'POST', json: { url: up.url, run: 'upstream-run', project: 'live' } });
    expect(twice.status).toBe(200);
    expect(twice.body).toMatchObject({ id: created.body.id, created: false });
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    await until(async () => (await metricSteps(s.url, run)).length === 60 || undefined);
    const steps = await metricSteps(s.url, run);
    expect(steps).toEqual(range(1, 60));
    // Two drops (after ids 20 and 40), each answered by a reconnect that asked for what came after
    // the last id stored: the drop's own id, or an earlier one when the events before the drop were
    // still being written as it was noticed (they come again, and are stored once). A busy machine
    // may add a reconnect of its own (a read that timed out, a lease renewed late): it too asks
    // for what came after the last stored id, never for less.
    const asked = up.lastEventIds.slice(1).map(Number);
    expect(up.lastEventIds[0]).toBeUndefined();
    const resumedWithin = (after: number, upTo: number) => asked.some((id) => id > after && id <= upTo);
    expect(resumedWithin(0, 20)).toBe(true);
    expect(resumedWithin(20, 40)).toBe(true);
    expect(asked).toEqual([...asked].sort((a, b) => a - b));
    const events = (await api(s.url, `/runs/${run}/events?after_seq=0&limit=1000`)).body.events as any[];
    expect(events[0]).toMatchObject({ values: { train_loss: 1, learning_rate: 0.01 }, ts: 1_700_000_001_000 });
    const listed = (await api(s.url, '/sources')).body.sources;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: created.body.id, state: 'open', last_event_id: '60', events: 60, retry_ms: 50 });
    expect(listed[0].last_error).toMatch(/terminated|ended|closed|socket/i);

    // A restart: the subscription comes back from the store and resumes at id 60.
    await s.close();
    up.total = 70;
    const before = up.lastEventIds.length;
    s = await start();
    await until(async () => (await metricSteps(s.url, run)).length === 70 || undefined);
    expect(await metricSteps(s.url, run)).toEqual(range(1, 70));
    expect(up.lastEventIds[before]).toBe('60');

    // Deleting it closes the upstream connection and forgets it.
    const del = await fetch(`${s.url}/sources/${created.body.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    await until(() => up.open.size === 0);
    expect((await api(s.url, '/sources')).body.sources).toEqual([]);
    expect((await api(s.url, `/sources/${created.body.id}`)).status).toBe(404);
  });

  it('reads seed-3 log entries, plain log lines and our own events; keeps going past data it cannot read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'analyst-src-'));
    const messages = [
      `event: log\ndata: ${JSON.stringify({ timestamp: '2024-05-01T10:00:00Z', level: 'INFO', message: 'Epoch [2/5] started', stage: 'epoch_start' })}`,
      `data: Train Loss: 0.5234, Train Accuracy: 82.45%\ndata: Validation Loss: 0.6123`,
      `event: log\ndata: ${JSON.stringify({ timestamp: 1714557601, level: 'INFO', message: 'validation done', step: 300, metrics: { val_loss: 0.6, val_acc: 0.8 } })}`,
      `data: {"type": "metrics", "step": 400, "values": {"loss": NaN}}`,
      `data: {"type": "metrics", "values": {}}`,
      `event: heartbeat\ndata: {"alive": 1}`,
    ];
    const up = await new Upstream(messages.length, 1000, (id) => messages[id - 1]).listen();
    upstreams.push(up);
    const s = await start();
    const created = await api(s.url, '/sources', { method: 'POST', json: { url: up.url, mapping: { events: { heartbeat: 'ignore' } } } });
    expect(created.status).toBe(201);
    const run = created.body.run;
    await until(async () => (await api(s.url, '/sources')).body.sources[0]?.last_event_id === String(messages.length) || undefined);
    const events = (await api(s.url, `/runs/${run}/events?after_seq=0&limit=1000`)).body.events as any[];
    const body = events.filter((e) => !e.type.startsWith('finding')).map(({ type, message, values, epoch, step, stage }) => ({ type, message, values, epoch, step, stage }));
    expect(body).toEqual([
      { type: 'log', message: 'Epoch [2/5] started', epoch: 2, stage: 'epoch_start', values: undefined, step: undefined },
      { type: 'epoch_started', epoch: 2, message: undefined, values: undefined, step: undefined, stage: undefined },
      { type: 'log', message: 'Train Loss: 0.5234, Train Accuracy: 82.45%', epoch: 2, stage: 'training', values: undefined, step: undefined },
      { type: 'metrics', values: { train_loss: 0.5234, train_acc: 82.45 }, epoch: 2, message: undefined, step: undefined, stage: undefined },
      { type: 'log', message: 'Validation Loss: 0.6123', epoch: 2, stage: 'validation', values: undefined, step: undefined },
      { type: 'metrics', values: { val_loss: 0.6123 }, epoch: 2, message: undefined, step: undefined, stage: undefined },
      { type: 'log', message: 'validation done', epoch: 2, stage: undefined, values: undefined, step: undefined },
      { type: 'metrics', values: { val_loss: 0.6, val_acc: 0.8 }, step: 300, message: undefined, epoch: undefined, stage: undefined },
      { type: 'metrics', values: { loss: 'NaN' }, step: 400, message: undefined, epoch: undefined, stage: undefined },
    ]);
    const source = (await api(s.url, '/sources')).body.sources[0];
    expect(source.last_error).toMatch(/event 5: invalid metrics event: values/);
    expect(source.events).toBe(messages.length);
  });

  it('reads only training output: status frames are counted as not read, not flattened into metrics', async () => {
    dir = mkdtempSync(join(tmpdir(), 'analyst-src-'));
    const status = {
      state: 'training',
      gpu: { memory_used: 10.5, memory_total: 24, utilisation: 0.93, temperature: 71 },
      config: { lr: 0.01, batch_size: 64, layers: 12, warmup_steps: 500 },
      eta_seconds: 3600,
    };
    const messages = [
      `event: status\ndata: ${JSON.stringify(status)}`,
      `data: ${JSON.stringify({ event_type: 'status', ...status })}`,
      `event: metric_update\ndata: ${JSON.stringify({ event_type: 'metric_update', step: 1, train_loss: 0.9 })}`,
      `data: ${JSON.stringify({ step: 2, train_loss: 0.8 })}`,
      `event: status\ndata: ${JSON.stringify(status)}`,
      `event: system\ndata: ${JSON.stringify({ cpu: 0.5 })}`,
    ];
    const up = await new Upstream(messages.length, 1000, (id) => messages[id - 1]).listen();
    upstreams.push(up);
    const s = await start();
    const created = await api(s.url, '/sources', { method: 'POST', json: { url: up.url, mapping: { events: { system: 'json' } } } });
    const run = created.body.run;
    await until(async () => (await api(s.url, '/sources')).body.sources[0]?.last_event_id === String(messages.length) || undefined);
    const events = (await api(s.url, `/runs/${run}/events?after_seq=0&limit=1000`)).body.events as any[];
    expect(events.filter((e) => e.type === 'metrics').map((e) => e.values)).toEqual([{ train_loss: 0.9 }, { train_loss: 0.8 }, { cpu: 0.5 }]);
    const source = (await api(s.url, `/sources/${created.body.id}`)).body;
    expect(source).toMatchObject({ events: messages.length, not_read: { status: 3 } });
  }, 20_000);

  it('validates a subscription', async () => {
    dir = mkdtempSync(join(tmpdir(), 'analyst-src-'));
    const s = await start();
    const bad = await api(s.url, '/sources', { method: 'POST', json: { url: 'ftp://example.org/x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('url');
    const badMapping = await api(s.url, '/sources', { method: 'POST', json: { url: 'http://127.0.0.1:1/x', mapping: { events: { a: 'nope' } } } });
    expect(badMapping.status).toBe(400);
    // Subscriptions fetch could never open are refused up front, not retried forever.
    const badHeader = await api(s.url, '/sources', { method: 'POST', json: { url: 'http://127.0.0.1:1/x', headers: { ok: 'v', 'bad name': 'v' } } });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.issues[0].path).toBe('headers.bad name');
    const badValue = await api(s.url, '/sources', { method: 'POST', json: { url: 'http://127.0.0.1:1/x', headers: { authorization: 'Bearer a\r\nX-Injected: 1' } } });
    expect(badValue.body.error.issues[0].path).toBe('headers.authorization');
    const credentials = await api(s.url, '/sources', { method: 'POST', json: { url: 'http://user:secret@127.0.0.1:1/x' } });
    expect(credentials.status).toBe(400);
    expect(credentials.body.error.issues[0].path).toBe('url');
    expect((await api(s.url, '/sources')).body.sources).toEqual([]);
  });
});

describe('reconnection delay', () => {
  it("starts at the upstream's retry, doubles with each failure in a row, stops at the ceiling, with bounded jitter", () => {
    const exact = (failures: number) => backoff(failures, 50, 1000, () => 0.5);
    expect([1, 2, 3, 4, 5, 6, 9].map(exact)).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(backoff(1, 1000, 60_000, () => 0)).toBe(800);
    expect(backoff(1, 1000, 60_000, () => 1)).toBe(1200);
  });
});
