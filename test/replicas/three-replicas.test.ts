// Three replicas of the service on one PostgreSQL schema, as child processes: trainers post to
// random replicas while streams follow through others, and one replica is SIGKILLed mid-ingest.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { api } from '../helpers/server.ts';
import { postgresUnavailable, testDatabase } from '../helpers/test-db.ts';
import { SseClient, until } from '../streams/clients.ts';

const unavailable = await postgresUnavailable();

const RUNS = 3;
const BATCHES = 24;
const BATCH = 40;
const T0 = 1_700_000_000_000;

/** A run that learns, overfits, diverges with exploding gradients and ends in NaN: findings raised and updated throughout. */
function event(i: number) {
  const base = 2 * Math.exp(-i / 150) + 0.3 + 0.02 * Math.sin(i * 1.3);
  const loss = i >= 850 ? 'NaN' : i >= 600 ? base * 1.01 ** (i - 600) : base;
  const values: Record<string, number | string> = { loss, lr: 0.1, grad_norm: (1 + 0.1 * Math.sin(i)) * (i >= 700 ? 1.05 ** (i - 700) : 1) };
  if (i % 30 === 29) values.val_loss = i < 300 ? 1.2 * Math.exp(-i / 200) + 0.5 : 1.2 * Math.exp(-1.5) + 0.5 + 0.002 * (i - 300);
  return { type: 'metrics', step: i, epoch: Math.floor(i / 30), values, ts: T0 + i * 1000, client_seq: i };
}

const batchOf = (b: number) => Array.from({ length: BATCH }, (_, k) => event(b * BATCH + k));

/** A fixed sequence of choices, so a failure can be run again as it happened. */
function choices(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

/** What a person reads of the findings: everything but ids, the run and wall-clock times. */
async function findings(url: string, run: string) {
  const { body } = await api(url, `/runs/${run}/findings`);
  return body.findings
    .map(({ id: _i, run: _r, created_at: _c, updated_at: _u, resolved_at: _z, ...f }: any) => f)
    .sort((a: any, b: any) => a.kind.localeCompare(b.kind));
}

async function allEvents(url: string, run: string): Promise<any[]> {
  const out: any[] = [];
  for (;;) {
    const { body } = await api(url, `/runs/${run}/events?after_seq=${out.length ? out[out.length - 1].seq : 0}&limit=10000`);
    if (!body.events.length) return out;
    out.push(...body.events);
  }
}

/**
 * A stream client that follows a path across replicas: when its replica dies it reconnects to a
 * live one with Last-Event-ID, as an EventSource behind a load balancer does.
 */
class Follower {
  readonly ids: number[] = [];
  readonly events: any[] = [];
  private client: SseClient | undefined;
  private stopped = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly replica: () => ChildServer,
  ) {}

  start(): Promise<void> {
    let opened!: () => void;
    const first = new Promise<void>((resolve) => (opened = resolve));
    this.done = this.follow(opened);
    return first;
  }

  private async follow(opened: () => void): Promise<void> {
    while (!this.stopped) {
      const last = this.ids.at(-1);
      let client: SseClient;
      try {
        client = await SseClient.open(`${this.replica().url}${this.path}`, last === undefined ? {} : { 'last-event-id': String(last) });
      } catch {
        continue; // the replica died between the choice and the connection: choose again
      }
      this.client = client;
      let seen = 0;
      const take = () => {
        for (; seen < client.messages.length; seen++) {
          const m = client.messages[seen];
          if (m.id === undefined) continue;
          this.ids.push(Number(m.id));
          this.events.push(JSON.parse(m.data));
        }
      };
      client.onMessage = take;
      take();
      opened();
      await client.ended;
      take();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.close();
    await this.done;
  }
}

/**
 * A webhook receiver that holds every request until `open()`: deliveries sent before then are
 * still pending when a replica dies, and the one that died with them never records them.
 */
async function receiver() {
  const received = new Map<string, number>();
  const held: ServerResponse[] = [];
  const orphaned = new Set<string>();
  let opened = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['x-analyst-delivery']);
      received.set(id, (received.get(id) ?? 0) + 1);
      if (opened) res.end('ok');
      else {
        held.push(res);
        // Cut before it was answered: its sender died with the delivery in flight.
        res.on('close', () => {
          if (!res.writableEnded) orphaned.add(id);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    orphaned,
    heldAtOpen: 0,
    open() {
      opened = true;
      this.heldAtOpen = held.length;
      for (const res of held.splice(0)) res.end('ok');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(unavailable)(`three replicas on one PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('stores every acknowledged event once, streams every event once in order across replicas and a kill, and diagnoses as one replica does', { timeout: 150_000 }, async () => {
    const db = await testDatabase('postgres');
    cleanups.push(db.cleanup);
    const hooks = await receiver();
    cleanups.push(hooks.close);
    const replicas: ChildServer[] = [];
    // A short attempt limit keeps a delivery's lease (and the wait for a dead replica's) short.
    const env = { ANALYST_SNAPSHOT_EVERY: '200', ANALYST_WEBHOOK_ALLOW_PRIVATE: '1', ANALYST_WEBHOOK_TIMEOUT: '3' };
    for (let i = 0; i < 3; i++) {
      const r = await startChildServer(db.url, env);
      replicas.push(r);
      cleanups.push(() => r.kill());
    }
    const alive = new Set(replicas);
    const pick = choices(18);
    const live = () => [...alive][pick(alive.size)];

    const hook = await api(live().url, '/webhooks', { method: 'POST', json: { url: hooks.url } });
    expect(hook.status).toBe(201);

    const runs: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { status, body } = await api(live().url, '/runs', { method: 'POST', json: { name: `replicated-${r}`, project: 'replicas' } });
      expect([200, 201]).toContain(status);
      runs.push(body.id);
    }
    // Each run followed through a replica other than the first trainer's choice; the first one through the replica to be killed.
    const followers = runs.map((run, r) => new Follower(`/runs/${run}/stream`, () => (r === 0 && alive.has(replicas[0]) ? replicas[0] : live())));
    const global = new Follower('/stream?after=0', () => (alive.has(replicas[0]) ? replicas[0] : live()));
    for (const f of [...followers, global]) await f.start();

    // The kill comes with a batch sent to the doomed replica half-way through: it dies with the batch in flight.
    let posted = 0;
    let killed: Promise<void> | undefined;
    const post = async (run: string, b: number) => {
      for (;;) {
        const target = posted >= (RUNS * BATCHES) / 2 && !killed ? replicas[0] : live();
        const sent = fetch(`${target.url}/runs/${run}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batchOf(b)) });
        if (target === replicas[0] && posted >= (RUNS * BATCHES) / 2 && !killed) {
          alive.delete(target);
          killed = target.kill('SIGKILL');
        }
        try {
          const res = await sent;
          if (res.status === 200) {
            posted++;
            return (await res.json()) as { accepted: number; duplicates: number };
          }
          expect(res.status).toBe(503);
        } catch {
          // The replica died under the request: the batch is sent again elsewhere, its keys keep it single.
        }
      }
    };
    await Promise.all(
      runs.map(async (run) => {
        for (let b = 0; b < BATCHES; b++) await post(run, b);
      }),
    );
    expect(killed).toBeDefined();
    await killed;
    // The killed replica's held requests are cut as its sockets close; the others are answered now.
    await new Promise((resolve) => setImmediate(resolve));
    hooks.open();

    // A run fed through one replica alone, for the findings it should have.
    const single = replicas[1];
    const reference = (await api(single.url, '/runs', { method: 'POST', json: { name: 'single', project: 'reference' } })).body.id as string;
    for (let b = 0; b < BATCHES; b++) expect((await api(single.url, `/runs/${reference}/events`, { method: 'POST', json: batchOf(b) })).status).toBe(200);
    const expected = await findings(single.url, reference);
    expect(expected.length).toBeGreaterThan(1);

    const everything: any[] = [];
    for (const [r, run] of runs.entries()) {
      const stored = await allEvents(single.url, run);
      everything.push(...stored);
      const metrics = stored.filter((e) => e.type === 'metrics');
      expect(metrics.map((e) => e.step)).toEqual(Array.from({ length: BATCHES * BATCH }, (_, i) => i));
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
      expect(await findings(replicas[2].url, run)).toEqual(expected);

      const follower = followers[r];
      await until(() => follower.ids.at(-1) === stored.length);
      expect(follower.ids).toEqual(stored.map((e) => e.seq));
      expect(follower.events.map((e) => e.type)).toEqual(stored.map((e) => e.type));
    }
    const last = everything.reduce((m, e) => Math.max(m, e.gid), 0);
    await until(() => (global.ids.at(-1) ?? 0) >= last);
    const mine = new Set(runs);
    const seen = global.events.filter((e) => mine.has(e.run));
    expect(global.ids).toEqual([...global.ids].sort((a, b) => a - b));
    expect(new Set(global.ids).size).toBe(global.ids.length);
    expect(seen.map((e) => `${e.run}:${e.seq}`).sort()).toEqual(everything.map((e) => `${e.run}:${e.seq}`).sort());

    for (const f of [...followers, global]) await f.stop();

    // Every alert's delivery goes out, those pending when the replica died included, each under one id.
    expect(hooks.heldAtOpen).toBeGreaterThan(0);
    const deliveries = await until(async () => {
      const { body } = await api(single.url, `/webhooks/${hook.body.id}/deliveries?limit=1000`);
      const all = body.deliveries as Array<{ id: string; status: string }>;
      return all.length && all.every((d) => d.status === 'delivered' && hooks.received.has(d.id)) ? all : undefined;
    });
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(deliveries.length);
    expect([...hooks.received.keys()].sort()).toEqual(deliveries.map((d) => d.id).sort());
    // Those the killed replica was sending went out again from a survivor, under the same id, once its claim ran out.
    for (const id of hooks.orphaned) expect(hooks.received.get(id)).toBeGreaterThanOrEqual(2);
  });
});
