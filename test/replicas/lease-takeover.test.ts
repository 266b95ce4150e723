// The replica that runs the stall watcher and the upstream sources is SIGKILLed: the survivors
// take both over once its lease runs out, and the source resumes from its stored Last-Event-ID.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SOURCE_INSTANCE_HEADER } from '../../src/domain/streams.ts';
import { startChildServer } from '../helpers/child-server.ts';
import { api } from '../helpers/server.ts';
import { openReader, postgresUnavailable, testDatabase } from '../helpers/test-db.ts';
import { until } from '../streams/clients.ts';

const unavailable = await postgresUnavailable();

const FIRST = 100;
const TOTAL = 200;

/**
 * A trainer's SSE stream that honours Last-Event-ID and sends ids up to `released` (raised by the
 * test), recording who connected (the service's instance header) and from where.
 */
class Upstream {
  readonly connections: Array<{ instance: string; lastEventId: string | undefined }> = [];
  private readonly open = new Set<{ res: ServerResponse; next: number }>();
  private released = FIRST;
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const lastEventId = req.headers['last-event-id'] as string | undefined;
      this.connections.push({ instance: String(req.headers[SOURCE_INSTANCE_HEADER]), lastEventId });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const conn = { res, next: Number(lastEventId ?? 0) + 1 };
      this.open.add(conn);
      res.on('close', () => this.open.delete(conn));
      this.send(conn);
    });
  }

  private send(conn: { res: ServerResponse; next: number }): void {
    for (; conn.next <= this.released; conn.next++) {
      const data = { step: conn.next, epoch: 1, train_loss: 1 / conn.next, timestamp: 1_700_000_000 + conn.next };
      conn.res.write(`id: ${conn.next}\nevent: metric_update\ndata: ${JSON.stringify(data)}\n\n`);
    }
  }

  release(upTo: number): void {
    this.released = upTo;
    for (const conn of this.open) this.send(conn);
  }

  /** How many connections are open now: one reader at a time, never two. */
  get readers(): number {
    return this.open.size;
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics/stream`;
    return this;
  }

  close(): Promise<void> {
    for (const { res } of this.open) res.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** `until`, looking again every 50 ms: each look is a request to a replica or the database. */
function poll<T>(check: () => Promise<T | undefined | false>): Promise<T> {
  return until(async () => {
    const v = await check();
    if (v === undefined || v === false) await new Promise((r) => setTimeout(r, 50));
    return v;
  });
}

async function metricSteps(url: string, run: string): Promise<number[]> {
  const { body } = await api(url, `/runs/${run}/events?after_seq=0&limit=10000`);
  return (body.events as any[]).filter((e) => e.type === 'metrics').map((e) => e.step);
}

describe.skipIf(unavailable)(`leases across replicas${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('moves the stall watcher and the upstream sources to a survivor when their replica is SIGKILLed, resuming the source where it stood', { timeout: 120_000 }, async () => {
    const db = await testDatabase('postgres');
    cleanups.push(db.cleanup);
    const reader = await openReader(db.url);
    cleanups.push(() => reader.close());
    const up = await new Upstream().listen();
    cleanups.push(() => up.close());
    const holders = async () =>
      Object.fromEntries((await reader.query<{ name: string; holder: string }>('SELECT name, holder FROM leases')).map((l) => [l.name, l.holder]));
    // A short lease, so the survivors need not wait long; a short stall limit, so one is seen.
    const env = { ANALYST_LEASE_SECONDS: '3', ANALYST_STALL_SECONDS: '3', ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' };
    const start = async () => {
      const r = await startChildServer(db.url, env);
      cleanups.push(() => r.kill());
      return r;
    };

    // The first replica, alone, takes both leases and starts reading the source.
    const first = await start();
    const created = await api(first.url, '/sources', { method: 'POST', json: { url: up.url, run: 'upstream-run', project: 'replicas' } });
    expect(created.status).toBe(201);
    const run = created.body.run as string;
    await poll(async () => (await metricSteps(first.url, run)).length === FIRST);
    const before = await poll(async () => {
      const h = await holders();
      return h['stall-watcher'] !== undefined && h['upstream-sources'] !== undefined && h;
    });
    expect(up.connections).toEqual([{ instance: before['upstream-sources'], lastEventId: undefined }]);
    expect(before['stall-watcher']).toBe(before['upstream-sources']);
    const dead = before['upstream-sources'];

    const survivors = [await start(), await start()];
    await first.kill('SIGKILL');

    // A survivor takes the sources over once the dead replica's lease has run out, asking for
    // what came after the last id stored with the events.
    const resumed = await until(() => up.connections.length > 1 && up.connections[1]);
    expect(resumed.instance).not.toBe(dead);
    expect(resumed.lastEventId).toBe(String(FIRST));
    up.release(TOTAL);
    const steps = await poll(async () => {
      const s = await metricSteps(survivors[0].url, run);
      return s.length >= TOTAL && s;
    });
    expect(steps).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(up.connections.slice(1).every((c) => c.instance !== dead)).toBe(true);
    // One reader at a time: the survivor that did not take the lease never connected beside it.
    expect(up.readers).toBe(1);

    // And another takes the stall watcher: a run fed through a survivor that falls silent is found stalled, and alerted once.
    const quiet = (await api(survivors[1].url, '/runs', { method: 'POST', json: { name: 'quiet', project: 'replicas' } })).body.id as string;
    expect((await api(survivors[1].url, `/runs/${quiet}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 } }] })).status).toBe(200);
    await poll(async () => (await api(survivors[0].url, `/runs/${quiet}`)).body.status === 'stalled');
    const after = await holders();
    expect(after['stall-watcher']).not.toBe(dead);
    expect(after['upstream-sources']).not.toBe(dead);
    const alerts = (await api(survivors[0].url, `/alerts?run=${quiet}&after=0`)).body.alerts as Array<{ type: string }>;
    expect(alerts.map((a) => a.type)).toEqual(['run.stalled']);
  });
});
