// Database faults: a full disk mid-import, mid-batch and under an upstream source, made with
// SQLite's page limit (PostgreSQL's lost connections are in test/store/postgres-faults.test.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { api, sqliteStore, testServer, type TestServer } from '../helpers/server.ts';
import { SseClient, until } from '../streams/clients.ts';

let s: TestServer | undefined;
let upstream: Server | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  upstream = undefined;
});

/** Lets the database grow by `pages` more pages only: past that, every write fails with SQLITE_FULL, on either writing connection. */
async function fillDisk(server: TestServer, pages: number): Promise<void> {
  const store = sqliteStore(server);
  await store.pragma(`max_page_count = ${(store.db.pragma('page_count', { simple: true }) as number) + pages}`);
}

async function freeDisk(server: TestServer): Promise<void> {
  await sqliteStore(server).pragma('max_page_count = 1073741823');
}

describe('a full disk', () => {
  it('fails an import with 503 and its reason, and streams never hear the events that were rolled back', async () => {
    // Small chunks: the first ones of the import are written before the disk fills.
    s = await testServer({ ANALYST_MAX_BATCH_EVENTS: '100' }, 'sqlite');
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'full', project: 'faults' } })).body;
    const sse = await SseClient.open(`${s.url}/runs/${run.id}/stream`);
    await fillDisk(s, 8);
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ step: i, loss: 2 / (i + 1), note_padding: i }));
    const failed = await api(s.url, `/runs/${run.id}/import?filename=m.jsonl`, { method: 'POST', body: lines.join('\n') });
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({ code: 'unavailable', reason: 'SQLITE_FULL' });
    expect(failed.body.error.message).toMatch(/disk .* full.*nothing of this request was written/);
    await freeDisk(s);
    const ok = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 7, event_id: 'real', values: { loss: 0.5 } }] });
    expect(ok.body).toMatchObject({ accepted: 1, last_seq: 1 });
    await sse.waitFor((c) => c.ids.length >= 1);
    // The first event a stream ever heard is the real one, under seq 1.
    expect(sse.ids).toEqual([1]);
    expect(JSON.parse(sse.messages.find((m) => m.id === '1')!.data)).toMatchObject({ step: 7, event_id: 'real' });
    const status = (await api(s.url, `/runs/${run.id}`)).body;
    expect(status.step).toBe(7);
    expect(status.latest.loss).toBe(0.5);
    await sse.close();
  });

  it('answers a batch with 503, not 500, and takes the same batch once space is back', async () => {
    s = await testServer({}, 'sqlite');
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'full2', project: 'faults' } })).body;
    await fillDisk(s, 0);
    const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'metrics', step: i, event_id: `k${i}`, values: { loss: 1 / (i + 1) } }));
    const refused = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: batch });
    expect(refused.status).toBe(503);
    const metrics = Array.from({ length: 800 }, (_, i) => ({ key: `loss_${i % 7}`, value: i, timestamp: 1_700_000_000_000 + i, step: i }));
    const mlflow = await api(s.url, '/api/2.0/mlflow/runs/log-batch', { method: 'POST', json: { run_id: run.id, metrics } });
    expect(mlflow.status).toBe(503);
    expect(mlflow.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    await freeDisk(s);
    expect((await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: batch })).body).toMatchObject({ accepted: 500, last_seq: 500 });
  });

  it('does not end an upstream source: it backs off, and reads on once writes succeed again', async () => {
    // Every write fails while the database is read-only: the source's state and errors too.
    // The upstream sends its events only once the database is read-only: before that, the source
    // it feeds could store them between its creation and the pragma.
    let serving = false;
    let connections = 0;
    upstream = createServer((req, res) => {
      const after = Number(req.headers['last-event-id'] ?? 0);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 20\n\n');
      if (!serving) return void res.end();
      connections++;
      for (let id = after + 1; id <= 5; id++) res.write(`id: ${id}\ndata: ${JSON.stringify({ step: id, loss: 1 / id })}\n\n`);
      res.end();
    });
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    s = await testServer({ ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' }, 'sqlite');
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/stream`;
    const store = sqliteStore(s);
    await store.pragma('query_only = 1');
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'fed', project: 'faults' } })).body;
    expect(run.error).toMatchObject({ code: 'unavailable', reason: 'SQLITE_READONLY' });
    await store.pragma('query_only = 0');
    const created = await api(s.url, '/sources', { method: 'POST', json: { url, run: 'fed', project: 'faults' } });
    expect(created.status).toBe(201);
    await store.pragma('query_only = 1');
    serving = true;
    // Reconnections after failed passes (the upstream's retry: 20 ms, doubling) show the loop lives on.
    await until(() => connections >= 3);
    // Checked while writes still fail: once they succeed, the next reconnection may store the events at once.
    expect((await api(s.url, `/runs/${created.body.run}/events?after_seq=0`)).body.events.filter((e: any) => e.type === 'metrics')).toEqual([]);
    await store.pragma('query_only = 0');
    const events = await until(async () => {
      const body = (await api(s!.url, `/runs/${created.body.run}/events?after_seq=0`)).body;
      return body.events.filter((e: any) => e.type === 'metrics').length === 5 && body.events;
    });
    expect(events.filter((e: any) => e.type === 'metrics').map((e: any) => e.step)).toEqual([1, 2, 3, 4, 5]);
  });
});
