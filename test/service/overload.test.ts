import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GroupCommit } from '../../src/service/group-commit.ts';
import { MAX_QUEUE_WAIT_MS, overloadRefusal } from '../../src/service/overload.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { metricsBatch, WsClient } from '../streams/clients.ts';

describe('overload refusal', () => {
  it('takes batches while the queue is within its limit, and refuses with a time to retry past it', () => {
    expect(overloadRefusal(0)).toBeUndefined();
    expect(overloadRefusal(MAX_QUEUE_WAIT_MS)).toBeUndefined();
    const refused = overloadRefusal(2400)!;
    expect(refused.code).toBe('overloaded');
    expect(refused.status).toBe(503);
    expect(refused.details).toEqual({ retry_after: 5 });
    // However far behind, a client is never told to stay away for long.
    expect(overloadRefusal(10 * 60_000)!.details).toEqual({ retry_after: 30 });
  });

  it('measures the wait from the oldest piece not yet being written', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let began!: () => void;
    const writing = new Promise<void>((resolve) => (began = resolve));
    // A transaction that holds the first group open until released.
    const tx = {
      async transaction<T>(fn: () => Promise<T>): Promise<T> {
        began();
        await held;
        return fn();
      },
    };
    const group = new GroupCommit(tx, () => {});
    expect(group.waitMs()).toBe(0);
    const first = group.run('a', async () => 1, () => {});
    await writing;
    // The first piece is being written: nothing waits.
    expect(group.waitMs()).toBe(0);
    const second = group.run('b', async () => 2, () => {});
    const now = performance.now();
    expect(group.waitMs(now + 5000)).toBeGreaterThanOrEqual(5000);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(group.waitMs()).toBe(0);
  });
});

describe('an overloaded service over HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => s.stop());

  it('answers 503 with Retry-After and stores nothing of the refused batch; the same batch sent again is stored once', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'busy', project: 'overload' } })).body;
    const batch = [{ type: 'metrics', step: 1, values: { loss: 0.5 } }];
    const behind = vi.spyOn(GroupCommit.prototype, 'waitMs').mockReturnValue(3000);
    const res = await fetch(`${s.url}/runs/${run.id}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    behind.mockRestore();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('6');
    expect((await res.json()).error).toMatchObject({ code: 'overloaded', retry_after: 6 });
    expect((await api(s.url, `/runs/${run.id}`)).body.last_seq).toBe(0);
    const again = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: batch });
    expect(again.body).toEqual({ accepted: 1, duplicates: 0, last_seq: 1 });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^analyst_batches_refused_total\{door="rest"\} 1$/m);
  });

  it('refuses a WebSocket batch and a log post the same way, with the time to retry', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'busy-ws', project: 'overload' } })).body;
    const ws = await WsClient.open(s.url);
    const behind = vi.spyOn(GroupCommit.prototype, 'waitMs').mockReturnValue(3000);
    try {
      const answer = await ws.request({ type: 'events', run: run.id, id: 'b1', events: metricsBatch(0, 3) });
      expect(answer).toMatchObject({ type: 'error', id: 'b1', code: 'overloaded', retry_after: 6 });
      const logs = await fetch(`${s.url}/runs/${run.id}/logs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'step 1 loss 0.5' });
      expect(logs.status).toBe(503);
      expect(logs.headers.get('retry-after')).toBe('6');
    } finally {
      behind.mockRestore();
      await ws.close();
    }
    expect((await api(s.url, `/runs/${run.id}`)).body.last_seq).toBe(0);
  });
});
