import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const N = 12_000;
const loss = (i: number): number | string => (i === 6001 ? 'NaN' : i === 9000 ? 75 : 3 / (1 + i / 100));

async function rowsRead(): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return Number(/^analyst_series_rows_read_total (\S+)$/m.exec(text)![1]);
}

let run: string;
beforeAll(async () => {
  run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'long', project: 'series' } })).body.id;
  for (let from = 0; from < N; from += 4000) {
    const events = Array.from({ length: 4000 }, (_, k) => ({ type: 'metrics', step: from + k, values: { loss: loss(from + k), 'train/acc': 50 } }));
    expect((await api(s.url, `/runs/${run}/events`, { method: 'POST', json: events })).status).toBe(200);
  }
});

describe('GET /runs/:id/metrics on a long series', () => {
  it('draws the whole run within max_points from summaries, keeping the spike and the NaN', async () => {
    const before = await rowsRead();
    const m = await api(s.url, `/runs/${run}/metrics?names=train_loss&max_points=200`);
    const cost = (await rowsRead()) - before;
    const [series] = m.body.series;
    expect(series).toMatchObject({ name: 'loss', canonical: 'train_loss', count: N });
    expect(series.points.length).toBeLessThanOrEqual(200);
    expect(series.points.find((p: any) => p.step === 6001).value).toBe('NaN');
    expect(series.points.find((p: any) => p.step === 9000).value).toBe(75);
    expect([series.points[0].step, series.points.at(-1).step]).toEqual([0, N - 1]);
    // A width's worth of rows, not the run's twelve thousand points.
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThan(1500);
  });

  it('zooms into a range, reading only that range', async () => {
    const before = await rowsRead();
    const m = await api(s.url, `/runs/${run}/metrics?names=loss&max_points=100&from_step=8000&to_step=9999`);
    const cost = (await rowsRead()) - before;
    const { points, count } = m.body.series[0];
    expect(count).toBe(2000);
    expect(points.every((p: any) => p.step >= 8000 && p.step <= 9999)).toBe(true);
    expect(points.some((p: any) => p.value === 75)).toBe(true);
    expect(cost).toBeLessThan(800);
  });

  it('sends every point when no width is asked, in order, with values normalised by their canonical name', async () => {
    const m = await api(s.url, `/runs/${run}/metrics`);
    expect(m.body.series.map((x: any) => [x.name, x.count, x.points.length])).toEqual([
      ['loss', N, N],
      ['train/acc', N, N],
    ]);
    expect(m.body.series[0].points.every((p: any, i: number) => p.step === i)).toBe(true);
    expect(m.body.series[1].points[0].value).toBe(0.5);
  });

  it('answers an empty list for names the run does not have, and 404 for a run that does not exist', async () => {
    expect((await api(s.url, `/runs/${run}/metrics?names=val_loss`)).body).toEqual({ series: [] });
    expect((await api(s.url, `/runs/${run}/metrics?names=loss&from_step=50000`)).body).toEqual({ series: [] });
    expect((await api(s.url, '/runs/nope/metrics')).status).toBe(404);
  });
});
