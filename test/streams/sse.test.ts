import { afterEach, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { metricsBatch, SseClient, until } from './clients.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function createRun(base: string, name: string, project = 'default'): Promise<string> {
  const r = await api(base, '/runs', { method: 'POST', json: { name, project } });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function post(base: string, run: string, events: unknown[]) {
  const r = await api(base, `/runs/${run}/events`, { method: 'POST', json: { events } });
  expect(r.status).toBe(200);
  return r.body as { accepted: number; last_seq: number };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /runs/:id/stream', () => {
  it('replays from the store, then goes live, with ids, types and NaN kept', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'r1');
    await post(server.url, run, [{ type: 'metrics', step: 1, values: { loss: 1.5 } }, { type: 'log', message: 'hello' }]);
    const sse = await SseClient.open(`${server.url}/runs/${run}/stream`);
    await sse.waitFor((c) => c.ids.length === 2);
    expect(sse.retry).toBeGreaterThan(0);
    expect(sse.messages[0].event).toBe('status');
    expect(sse.messages[0].id).toBeUndefined();
    expect(JSON.parse(sse.messages[0].data).id).toBe(run);
    const { last_seq } = await post(server.url, run, [{ type: 'metrics', step: 2, values: { loss: 'NaN' } }]);
    await sse.waitFor((c) => c.ids.at(-1) === last_seq);
    expect(sse.ids).toEqual(range(1, last_seq));
    const nan = sse.messages.find((m) => m.id === '3')!;
    expect(nan.event).toBe('metrics');
    expect(JSON.parse(nan.data)).toMatchObject({ type: 'metrics', run, seq: 3, step: 2, values: { loss: 'NaN' } });
    expect(sse.messages.find((m) => m.id === '2')!.event).toBe('log');
    // A NaN loss is reported: the finding event goes down the same stream.
    expect(sse.messages.some((m) => m.event === 'finding_raised')).toBe(true);
    await sse.close();
  });

  it('resumes across forced disconnects with no gap and no duplicate', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'resume');
    const base = server.url;
    // A writer keeps ingesting while the reader is cut off and reconnects three times.
    const writer = (async () => {
      let step = 0;
      for (let b = 0; b < 40; b++) {
        await post(base, run, metricsBatch(step, 25));
        step += 25;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const seen: number[] = [];
    let after = '0';
    for (let cut = 0; cut < 4; cut++) {
      const sse = await SseClient.open(`${base}/runs/${run}/stream`, cut === 0 ? {} : { 'last-event-id': after });
      await sse.waitFor((c) => c.ids.length >= 150 || (cut === 3 && c.ids.length > 0));
      await sse.close();
      seen.push(...sse.ids);
      after = sse.lastId ?? after;
    }
    await writer;
    const lastSeq = (await api(base, `/runs/${run}`)).body.last_seq as number;
    // The rest, through ?after= this time.
    const tail = await SseClient.open(`${base}/runs/${run}/stream?after=${after}`);
    await tail.waitFor((c) => (c.ids.at(-1) ?? Number(after)) === lastSeq);
    seen.push(...tail.ids);
    await tail.close();
    expect(seen).toEqual(range(1, lastSeq));
    expect(lastSeq).toBeGreaterThanOrEqual(1000);
  });

  it('filters by event type, across replay pages and live', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'typed');
    // 1,500 metrics around three logs: the replay reads pages that hold no wanted event at all.
    await post(server.url, run, [{ type: 'log', message: 'first' }, ...metricsBatch(0, 700)]);
    await post(server.url, run, [...metricsBatch(700, 800), { type: 'log', message: 'second' }]);
    const sse = await SseClient.open(`${server.url}/runs/${run}/stream?types=log,control`);
    await sse.waitFor((c) => c.ids.length === 2);
    const { last_seq } = await post(server.url, run, [...metricsBatch(1500, 3), { type: 'log', message: 'third' }]);
    await sse.waitFor((c) => c.ids.length === 3);
    expect(sse.messages.filter((m) => m.id).map((m) => [m.event, JSON.parse(m.data).message])).toEqual([
      ['log', 'first'],
      ['log', 'second'],
      ['log', 'third'],
    ]);
    expect(sse.ids.at(-1)).toBe(last_seq);
    await sse.close();
  });

  it('hands subscribers of one run with and without a type filter each their own events from the same batches', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'two views');
    const [all, logs, metrics] = await Promise.all([
      SseClient.open(`${server.url}/runs/${run}/stream`),
      SseClient.open(`${server.url}/runs/${run}/stream?types=log`),
      SseClient.open(`${server.url}/runs/${run}/stream?types=metrics`),
    ]);
    await until(() => server!.service.bus.listeners >= 3);
    // Each batch starts and ends with metrics: the metrics-only view runs between the same two events as the whole one.
    for (let i = 0; i < 3; i++) await post(server.url, run, [...metricsBatch(i * 10, 2), { type: 'log', message: `log ${i}` }, ...metricsBatch(i * 10 + 2, 2)]);
    await all.waitFor((c) => c.messages.filter((m) => m.event === 'log').length === 3);
    await logs.waitFor((c) => c.ids.length === 3);
    await metrics.waitFor((c) => c.ids.length === 12);
    const seen = (c: SseClient) => c.messages.filter((m) => m.id).map((m) => m.event);
    expect(seen(all).filter((e) => e === 'metrics' || e === 'log')).toEqual(['metrics', 'metrics', 'log', 'metrics', 'metrics', 'metrics', 'metrics', 'log', 'metrics', 'metrics', 'metrics', 'metrics', 'log', 'metrics', 'metrics']);
    expect(seen(logs)).toEqual(['log', 'log', 'log']);
    expect(seen(metrics)).toEqual(Array(12).fill('metrics'));
    expect(new Set(metrics.ids).size).toBe(12);
    for (const c of [all, logs, metrics]) await c.close();
  });

  it('serves many subscribers at once without a listener-leak warning', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'watched');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const clients = await Promise.all(range(1, 15).map(() => SseClient.open(`${server!.url}/runs/${run}/stream`)));
      await post(server.url, run, metricsBatch(0, 1));
      await until(() => clients.every((c) => c.messages.some((m) => m.event === 'metrics')));
      for (const c of clients) c.close();
      // Warnings are emitted on the next turn of the loop after the listener that tripped them.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('rejects a Last-Event-ID that is not a cursor and a run that does not exist', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'r');
    const bad = await fetch(`${server.url}/runs/${run}/stream`, { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_query');
    expect((await fetch(`${server.url}/runs/nope/stream`)).status).toBe(404);
  });

  it('gives a slow client a final overflow with its resume cursor, without slowing ingest', async () => {
    // Buffers are sized from the batch limit: 2 x 50 events here.
    server = await testServer({ ANALYST_MAX_BATCH_EVENTS: '50' });
    const run = await createRun(server.url, 'slow');
    const res = await fetch(`${server.url}/runs/${run}/stream`);
    // The client reads nothing while 60 MB of log lines land: enough to fill every socket buffer.
    const line = 'x'.repeat(8000);
    let lastSeq = 0;
    for (let b = 0; b < 150; b++) {
      const events = Array.from({ length: 50 }, (_, i) => ({ type: 'log', message: `${b * 50 + i} ${line}` }));
      lastSeq = (await post(server.url, run, events)).last_seq;
    }
    const sse = SseClient.from(res);
    await sse.ended;
    const overflow = sse.messages.find((m) => m.event === 'overflow');
    expect(overflow).toBeDefined();
    expect(sse.messages.at(-1)).toBe(overflow);
    const resume = JSON.parse(overflow!.data).resume_after as number;
    expect(overflow!.id).toBe(String(resume));
    expect(sse.ids).toEqual(range(1, resume));
    expect(resume).toBeLessThan(lastSeq);
    // Resuming from the cursor it was given gets everything else.
    const again = await SseClient.open(`${server.url}/runs/${run}/stream`, { 'last-event-id': String(resume) });
    await again.waitFor((c) => c.ids.at(-1) === lastSeq);
    expect(again.ids).toEqual(range(resume + 1, lastSeq));
    await again.close();
  });
});

describe('GET /stream', () => {
  it('streams every run of a project by global id, live from now, resumable by gid', async () => {
    server = await testServer();
    const a = await createRun(server.url, 'a', 'vision');
    const b = await createRun(server.url, 'b', 'nlp');
    await post(server.url, a, metricsBatch(0, 3));
    const sse = await SseClient.open(`${server.url}/stream?project=vision`);
    await post(server.url, b, metricsBatch(0, 3));
    await post(server.url, a, metricsBatch(3, 3));
    await sse.waitFor((c) => c.ids.length === 3);
    const data = sse.messages.filter((m) => m.id).map((m) => JSON.parse(m.data));
    expect(data.map((d) => d.run)).toEqual([a, a, a]);
    expect(data.map((d) => d.seq)).toEqual([4, 5, 6]);
    expect(sse.ids).toEqual(data.map((d) => d.gid));
    await sse.close();
    // From gid 0: the whole project, in gid order.
    const all = await SseClient.open(`${server.url}/stream?project=vision&after=0`);
    await all.waitFor((c) => c.ids.length === 6);
    expect(all.ids).toEqual([...all.ids].sort((x, y) => x - y));
    expect(all.ids.slice(3)).toEqual(sse.ids);
    await all.close();
  });
});
