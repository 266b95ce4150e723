// GET /runs/:id/metrics/names: every series of a run with its length, ends and level, for the dashboard's panels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

describe('GET /runs/:id/metrics/names', () => {
  it('lists step-level, epoch-level and time-only series with their counts and ends', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'levels', project: 'names' } })).body.id;
    const t0 = Date.now() - 60_000;
    const events = [
      ...Array.from({ length: 20 }, (_, k) => ({ type: 'metrics', step: k * 5, epoch: Math.floor(k / 10), ts: t0 + k, values: { 'train/loss': 2 - k / 20 } })),
      { type: 'metrics', epoch: 1, ts: t0 + 2000, values: { train_loss: 1.4, val_loss: 1.6 } },
      { type: 'metrics', epoch: 2, ts: t0 + 3000, values: { train_loss: 1.1, val_loss: 'NaN' } },
      { type: 'metrics', ts: t0 + 4000, values: { 'system/gpu_mem': 7.5 } },
    ];
    const posted = await api(s.url, `/runs/${run}/events`, { method: 'POST', json: events });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const r = await api(s.url, `/runs/${run}/metrics/names`);
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.body.series.map((x: { name: string }) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['system/gpu_mem', 'train/loss', 'train_loss', 'val_loss']);
    expect(byName['train/loss']).toMatchObject({ canonical: 'train_loss', count: 20, level: 'step', group: 'train', split: 'train', panel: null, first: { step: 0, epoch: 0, ts: t0 }, last: { step: 95, epoch: 1, ts: t0 + 19 } });
    expect(byName.train_loss).toMatchObject({ count: 2, level: 'epoch', first: { step: null, epoch: 1 }, last: { epoch: 2 } });
    expect(byName.val_loss).toMatchObject({ count: 2, level: 'epoch', group: 'val' });
    expect(byName['system/gpu_mem']).toMatchObject({ count: 1, level: 'time', group: 'system', first: { step: null, epoch: null, ts: t0 + 4000 } });
  });

  it('answers 404 with the run named for an unknown run', async () => {
    const r = await api(s.url, '/runs/no-such-run/metrics/names');
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).toContain('no-such-run');
  });
});
