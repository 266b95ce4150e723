import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

describe('a big import', () => {
  it('goes in a slice at a time: other requests are answered while it runs, and it ends as one import', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'big-file', project: 'imports' } })).body.id;
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ step: i, loss: 2 / (1 + i / 100) })).join('\n') + '\n';
    const order: string[] = [];
    let health: Promise<void> | undefined;
    // As soon as the first slice is committed (and published), another client asks something.
    const unsubscribe = s.service.bus.subscribe(run, () => {
      health ??= api(s.url, '/healthz').then((r) => {
        expect(r.status).toBe(200);
        order.push('healthz');
      });
    });
    const imported = await api(s.url, `/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body: lines });
    order.push('import');
    unsubscribe();
    await health;
    expect(order).toEqual(['healthz', 'import']);
    expect(imported.body).toMatchObject({ accepted: 20_000, duplicates: 0, status: 'completed' });
    const again = await api(s.url, `/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body: lines });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 20_000 });
  });
});
