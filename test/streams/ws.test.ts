import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { metricsBatch, SseClient, WsClient } from './clients.ts';

let server: TestServer | undefined;
const sockets: WsClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
  await server?.stop();
  server = undefined;
});

async function open(base: string, headers?: Record<string, string>, query?: string): Promise<WsClient> {
  const ws = await WsClient.open(base, headers, query);
  sockets.push(ws);
  return ws;
}

async function createRun(base: string, name: string): Promise<string> {
  return (await api(base, '/runs', { method: 'POST', json: { name } })).body.id;
}

describe('GET /ws: trainers', () => {
  it('acknowledges a committed batch with its last seq, and a retried batch is stored once', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'ws-run');
    const ws = await open(server.url);
    const ack = await ws.request({ type: 'events', run: 'ws-run', id: 'b1', events: metricsBatch(0, 10) });
    expect(ack).toMatchObject({ type: 'ack', id: 'b1', run, accepted: 10, duplicates: 0, last_seq: 10 });
    // The ack came after the commit: the events are readable at once.
    const stored = await api(server.url, `/runs/${run}/events?after_seq=0`);
    expect(stored.body.events).toHaveLength(10);
    const again = await ws.request({ type: 'events', run, id: 'b1-retry', events: metricsBatch(0, 10) });
    expect(again).toMatchObject({ type: 'ack', accepted: 0, duplicates: 10, last_seq: 10 });
  });

  it('answers bad messages with typed errors and paths, and keeps the socket usable', async () => {
    server = await testServer();
    await createRun(server.url, 'r');
    const ws = await open(server.url);
    const bad = await ws.request({ type: 'events', run: 'r', id: 1, events: [{ type: 'metrics', values: { loss: 'abc' } }] });
    expect(bad).toMatchObject({ type: 'error', id: 1, code: 'invalid_body' });
    expect(bad.issues[0].path).toBe('events.0.values.loss');
    expect(await ws.request({ type: 'events', run: 'missing', id: 2, events: [] })).toMatchObject({ type: 'error', code: 'not_found' });
    expect(await ws.request({ type: 'launch', id: 3 })).toMatchObject({ type: 'error', id: 3, code: 'invalid_body' });
    const from = ws.received.length;
    await ws.ws.send('{not json');
    expect(await ws.next((m) => m.type === 'error', from)).toMatchObject({ code: 'invalid_body' });
    expect(await ws.request({ type: 'ping', id: 4 })).toEqual({ type: 'pong', id: 4 });
    // Python's bare NaN is a value, not a syntax error.
    const from2 = ws.received.length;
    ws.ws.send('{"type":"events","run":"r","id":5,"events":[{"type":"metrics","step":1,"values":{"loss":NaN}}]}');
    expect(await ws.next((m) => m.id === 5, from2)).toMatchObject({ type: 'ack', accepted: 1 });
  });

  it('closes a socket that sends a frame over the size limit with 1009, and the server stays up', async () => {
    server = await testServer({ ANALYST_MAX_BODY_BYTES: '4096' });
    await createRun(server.url, 'r');
    const big = await open(server.url);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    big.ws.send('x'.repeat(64 * 1024));
    expect(await closed).toBe(1009);
    // Another trainer on the same server is unaffected.
    const ws = await open(server.url);
    expect(await ws.request({ type: 'ping', id: 1 })).toEqual({ type: 'pong', id: 1 });
    expect((await api(server.url, '/healthz')).status).toBe(200);
  });

  it('refuses an upgrade without the token when one is configured', async () => {
    server = await testServer({ ANALYST_TOKEN: 'secret-token' });
    await expect(WsClient.open(server.url)).rejects.toThrow(/401/);
    const ws = await open(server.url, { authorization: 'Bearer secret-token' });
    expect(await ws.request({ type: 'ping', id: 1 })).toMatchObject({ type: 'pong' });
    // Browsers cannot set headers on a WebSocket: the token may come in the query.
    const viaQuery = await open(server.url, {}, '?token=secret-token');
    expect(await viaQuery.request({ type: 'ping', id: 2 })).toMatchObject({ type: 'pong' });
    await expect(WsClient.open(server.url, {}, '?token=wrong-token!')).rejects.toThrow(/401/);
  });
});

describe('GET /ws: dashboards', () => {
  it('subscribes to a run from a cursor and receives every event once, in order', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'watched');
    const trainer = await open(server.url);
    await trainer.request({ type: 'events', run, id: 0, events: metricsBatch(0, 5) });
    const dash = await open(server.url);
    expect(await dash.request({ type: 'subscribe', run, after: 2, id: 's' })).toMatchObject({ type: 'subscribed', run, after: 2 });
    let last = 0;
    for (let b = 1; b <= 5; b++) last = (await trainer.request({ type: 'events', run, id: b, events: metricsBatch(b * 5, 5) })).last_seq;
    await dash.next((m) => m.type === 'event' && m.event.seq === last);
    const seqs = dash.received.filter((m) => m.type === 'event').map((m) => m.event.seq);
    expect(seqs).toEqual(Array.from({ length: last - 2 }, (_, i) => i + 3));
    expect(await dash.request({ type: 'unsubscribe', run, id: 'u' })).toMatchObject({ type: 'unsubscribed' });
  });

  it('tells a subscriber its run was deleted, and refuses the next batch of the trainer with 410', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'doomed');
    const trainer = await open(server.url);
    await trainer.request({ type: 'events', run, id: 0, events: metricsBatch(0, 2) });
    const dash = await open(server.url);
    await dash.request({ type: 'subscribe', run, id: 's' });
    await dash.next((m) => m.type === 'event' && m.event.seq === 2);
    await api(server.url, `/runs/${run}`, { method: 'DELETE' });
    expect(await dash.next((m) => m.type === 'deleted')).toEqual({ type: 'deleted', run });
    expect(await trainer.request({ type: 'events', run, id: 1, events: metricsBatch(2, 1) })).toMatchObject({ type: 'error', code: 'gone' });
  });
});

describe('GET /ws: a dashboard that stops reading', () => {
  it('gets an overflow with its resume cursor and can resubscribe from it', async () => {
    // Subscription buffers are sized from the batch limit: 2 x 50 events here.
    server = await testServer({ ANALYST_MAX_BATCH_EVENTS: '50' });
    const run = await createRun(server.url, 'slow-ws');
    const dash = await open(server.url);
    await dash.request({ type: 'subscribe', run, id: 's' });
    (dash.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const line = 'x'.repeat(8000);
    let lastSeq = 0;
    for (let b = 0; b < 150; b++) {
      const events = Array.from({ length: 50 }, (_, i) => ({ type: 'log', message: `${b * 50 + i} ${line}` }));
      lastSeq = (await api(server.url, `/runs/${run}/events`, { method: 'POST', json: { events } })).body.last_seq;
    }
    (dash.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const overflow = await dash.next((m) => m.type === 'overflow');
    const seqs = dash.received.filter((m) => m.type === 'event').map((m) => m.event.seq);
    expect(seqs).toEqual(Array.from({ length: overflow.resume_after }, (_, i) => i + 1));
    expect(overflow.resume_after).toBeLessThan(lastSeq);
    const from = dash.received.length;
    await dash.send({ type: 'subscribe', run, after: overflow.resume_after, id: 's2' });
    await dash.next((m) => m.type === 'event' && m.event.seq === lastSeq, from);
    const rest = dash.received.slice(from).filter((m) => m.type === 'event').map((m) => m.event.seq);
    expect(rest).toEqual(Array.from({ length: lastSeq - overflow.resume_after }, (_, i) => overflow.resume_after + 1 + i));
  });
});

describe('training control', () => {
  it('pushes a request to the trainer socket; the ack sets the status; pending requests wait for a reconnect', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'ctl');
    const sse = await SseClient.open(`${server.url}/runs/${run}/stream`);
    const trainer = await open(server.url);
    expect(await trainer.request({ type: 'attach', run, id: 'a' })).toMatchObject({ type: 'attached', run });

    const req = await api(server.url, `/runs/${run}/control`, { method: 'POST', json: { action: 'pause', reason: 'look at the loss' } });
    expect(req.status).toBe(202);
    const pushed = await trainer.next((m) => m.type === 'control');
    expect(pushed).toMatchObject({ id: req.body.id, action: 'pause', reason: 'look at the loss', run });
    expect((await api(server.url, `/runs/${run}/control?pending=1`)).body.controls.map((c: any) => c.id)).toEqual([req.body.id]);
    expect(await trainer.request({ type: 'control_ack', id: pushed.id, outcome: 'done' })).toMatchObject({ type: 'control_acked', outcome: 'done' });
    expect((await api(server.url, `/runs/${run}`)).body.status).toBe('paused');
    expect((await api(server.url, `/runs/${run}/control?pending=1`)).body.controls).toEqual([]);

    // The trainer is gone: the request waits, visible to a poll, and is pushed on reconnect.
    await trainer.close();
    const resume = await api(server.url, `/runs/${run}/control`, { method: 'POST', json: { action: 'resume' } });
    const polled = (await api(server.url, `/runs/${run}/control?pending=1`)).body.controls;
    expect(polled).toHaveLength(1);
    expect(polled[0]).toMatchObject({ id: resume.body.id, action: 'resume', outcome: null });
    expect(polled[0].delivered_at).not.toBeNull();
    const back = await open(server.url);
    await back.request({ type: 'events', run, id: 'b', events: metricsBatch(0, 1) });
    expect(await back.next((m) => m.type === 'control')).toMatchObject({ id: resume.body.id, action: 'resume' });
    // Acknowledged over HTTP this time, twice: the first outcome stands.
    const ack = await api(server.url, `/runs/${run}/control/${resume.body.id}/ack`, { method: 'POST', json: { outcome: 'done' } });
    expect(ack.body).toMatchObject({ outcome: 'done' });
    const ack2 = await api(server.url, `/runs/${run}/control/${resume.body.id}/ack`, { method: 'POST', json: { outcome: 'failed' } });
    expect(ack2.body.outcome).toBe('done');
    expect((await api(server.url, `/runs/${run}`)).body.status).toBe('running');
    expect((await api(server.url, `/runs/${run}/control/nope/ack`, { method: 'POST', json: { outcome: 'done' } })).status).toBe(404);

    // The log holds requests and outcomes in order, for streams and prompts.
    await sse.waitFor((c) => c.messages.filter((m) => m.event === 'control_ack').length === 2);
    const kinds = sse.messages.filter((m) => m.event === 'control' || m.event === 'control_ack').map((m) => {
      const d = JSON.parse(m.data);
      return `${m.event}:${d.control.action}`;
    });
    expect(kinds).toEqual(['control:pause', 'control_ack:pause', 'control:resume', 'control_ack:resume']);
    const all = (await api(server.url, `/runs/${run}/control`)).body.controls;
    expect(all.map((c: any) => [c.action, c.outcome])).toEqual([
      ['pause', 'done'],
      ['resume', 'done'],
    ]);
    await sse.close();
  });

  it('validates control requests', async () => {
    server = await testServer();
    const run = await createRun(server.url, 'ctl2');
    const bad = await api(server.url, `/runs/${run}/control`, { method: 'POST', json: { action: 'explode' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('action');
    expect((await api(server.url, '/runs/none/control', { method: 'POST', json: { action: 'stop' } })).status).toBe(404);
  });
});

describe('acks only after commit', () => {
  it('a batch whose ack was lost to a crash is resent and lands once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-ws-crash-'));
    const db = join(dir, 'analyst.db');
    let child: ChildServer | undefined;
    try {
      child = await startChildServer(db);
      const run = await createRun(child.url, 'crash');
      let sent = 0;
      // Three crashes at different moments: right after the send, a little later, after the ack.
      for (const wait of [0, 3, -1]) {
        const batch = metricsBatch(sent, 2000, 'c');
        const ws = await WsClient.open(child.url);
        const acked = ws.next((m) => m.type === 'ack').catch(() => undefined);
        await ws.send({ type: 'events', run, id: `b${sent}`, events: batch });
        if (wait === -1) await acked;
        else if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await child.kill('SIGKILL');
        ws.ws.terminate();
        child = await startChildServer(db);
        // The client resends what it does not know to be acknowledged (here: always, to be sure).
        const retry = await WsClient.open(child.url);
        const ack = await retry.request({ type: 'events', run, id: `r${sent}`, events: batch });
        expect(ack.accepted + ack.duplicates).toBe(2000);
        if (wait === -1) expect(ack.duplicates).toBe(2000);
        await retry.close();
        sent += 2000;
      }
      const events: any[] = [];
      for (let after = 0; ; ) {
        const page = (await api(child.url, `/runs/${run}/events?after_seq=${after}&limit=10000`)).body.events as any[];
        if (!page.length) break;
        events.push(...page);
        after = page.at(-1).seq;
      }
      const metrics = events.filter((e) => e.type === 'metrics');
      expect(metrics.map((e) => e.step)).toEqual(Array.from({ length: sent }, (_, i) => i));
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    } finally {
      await child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
