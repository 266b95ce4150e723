// Seed 4's per-type subscribers: a typed SSE or WebSocket subscription resumes from its cursor without losing or repeating an event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { metricsBatch, SseClient, WsClient } from '../streams/clients.ts';

const TYPES = 'epoch_ended,checkpoint_saved';

/** An epoch of training: many metrics, then its end and a checkpoint. */
function epoch(n: number) {
  return [...metricsBatch(n * 100, 40, `ep${n}`), { type: 'epoch_ended', epoch: n }, { type: 'checkpoint_saved', path: `ckpt/e${n}.pt`, epoch: n }];
}

describe('typed streams resume', () => {
  let s: TestServer;
  let run: string;
  const post = (events: unknown[]) => api(s.url, `/runs/${run}/events`, { method: 'POST', json: { events } });
  const typed = async () => (await api(s.url, `/runs/${run}/events?type=${TYPES}&after_seq=0`)).body.events as Array<{ seq: number; type: string }>;

  beforeAll(async () => {
    s = await testServer();
    run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'typed-resume' } })).body.id;
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('SSE: a reconnect with Last-Event-ID and the same ?types= gets only the wanted events it missed', async () => {
    await post([...epoch(1), ...epoch(2)]);
    const first = await SseClient.open(`${s.url}/runs/${run}/stream?types=${TYPES}`);
    await first.waitFor((c) => c.ids.length === 4);
    await first.close();
    // Missed while away: two epochs, and a third whose typed events fall after many untyped ones.
    await post([...epoch(3), ...epoch(4)]);
    const again = await SseClient.open(`${s.url}/runs/${run}/stream?types=${TYPES}`, { 'last-event-id': first.lastId! });
    await post(epoch(5));
    const all = await typed();
    expect(all).toHaveLength(10);
    await again.waitFor((c) => c.ids.length === 6);
    expect([...first.ids, ...again.ids]).toEqual(all.map((e) => e.seq));
    expect(again.messages.filter((m) => m.id).map((m) => m.event)).toEqual(['epoch_ended', 'checkpoint_saved', 'epoch_ended', 'checkpoint_saved', 'epoch_ended', 'checkpoint_saved']);
    await again.close();
  });

  it('WebSocket: a typed subscription from a cursor gets the wanted events after it, once each', async () => {
    const all = await typed();
    const cursor = all[3].seq;
    const dash = await WsClient.open(s.url);
    await dash.request({ type: 'subscribe', run, after: cursor, types: TYPES.split(','), id: 's' });
    await post(epoch(6));
    // The batch's last seq may be a finding it raised: wait for its last wanted event.
    const last = (await typed()).at(-1)!.seq;
    await dash.next((m) => m.type === 'event' && m.event.seq === last);
    const got = dash.received.filter((m) => m.type === 'event').map((m) => m.event.seq);
    expect(got).toEqual((await typed()).filter((e) => e.seq > cursor).map((e) => e.seq));
    await dash.close();
  });
});
