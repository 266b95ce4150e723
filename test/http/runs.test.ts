import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

async function newRun(name: string, extra: Record<string, unknown> = {}) {
  const r = await api(s.url, '/runs', { method: 'POST', json: { name, project: 'p', ...extra } });
  return r.body;
}

describe('runs', () => {
  it('creates a new run each time, even with a name used before', async () => {
    const a = await api(s.url, '/runs', { method: 'POST', json: { name: 'r1', project: 'p', config: { lr: 0.1 } } });
    const b = await api(s.url, '/runs', { method: 'POST', json: { name: 'r1', project: 'p' } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.body.config).toEqual({});
  });

  it('lists with filters and pages', async () => {
    await newRun('list-a', { project: 'lp' });
    await newRun('list-b', { project: 'lp' });
    const page = await api(s.url, '/runs?project=lp&limit=1');
    expect(page.body.total).toBe(2);
    expect(page.body.runs).toHaveLength(1);
    expect(page.body.runs[0].open_findings).toBe(0);
    const bad = await api(s.url, '/runs?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('limit');
  });

  it('ingests a batch, answers accepted and last_seq, and keeps non-finite values', async () => {
    const run = await newRun('nan');
    const r = await api(s.url, `/runs/${run.id}/events`, {
      method: 'POST',
      json: {
        events: [
          { type: 'metrics', step: 1, values: { loss: 1.5, 'val/acc': 55 } },
          { type: 'metrics', step: 2, values: { loss: 'nan', lr: 'inf' } },
          { type: 'metrics', step: 3, values: { loss: null, lr: '-Infinity' } },
        ],
      },
    });
    // The NaN raises a finding, written into the run's log after the three events.
    expect(r.body).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(r.body.last_seq).toBeGreaterThanOrEqual(3);
    const m = await api(s.url, `/runs/${run.id}/metrics?names=train_loss,lr`);
    const loss = m.body.series.find((x: any) => x.name === 'loss');
    expect(loss.canonical).toBe('train_loss');
    expect(loss.points.map((p: any) => p.value)).toEqual([1.5, 'NaN', 'NaN']);
    const lr = m.body.series.find((x: any) => x.name === 'lr');
    expect(lr.points.map((p: any) => p.value)).toEqual(['Infinity', '-Infinity']);
    const status = await api(s.url, `/runs/${run.id}`);
    expect(status.body.latest['val/acc']).toBe(55);
    expect(status.body.latest_canonical.val_acc).toBeCloseTo(0.55);
  });

  it('accepts the bare NaN tokens Python json.dumps writes', async () => {
    const run = await newRun('py-nan');
    const res = await fetch(`${s.url}/runs/${run.id}/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"step": 4, "loss": NaN, "grad_norm": Infinity, "note_like": -Infinity}',
    });
    expect(res.status).toBe(200);
    const events = await api(s.url, `/runs/${run.id}/events`);
    expect(events.body.events[0].values).toEqual({ loss: 'NaN', grad_norm: 'Infinity', note_like: '-Infinity' });
  });

  it('stores a retried batch once (event_id)', async () => {
    const run = await newRun('retry');
    const batch = { events: [1, 2, 3].map((i) => ({ type: 'metrics', step: i, event_id: `e${i}`, values: { loss: 1 / i } })) };
    const first = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: batch });
    const again = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: batch });
    expect(first.body).toMatchObject({ accepted: 3, last_seq: 3 });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 3, last_seq: 3 });
    const events = await api(s.url, `/runs/${run.id}/events?after_seq=0`);
    expect(events.body.events.map((e: any) => e.seq)).toEqual([1, 2, 3]);
  });

  it('rejects a bad batch whole, with the path of every problem', async () => {
    const run = await newRun('bad');
    const r = await api(s.url, `/runs/${run.id}/events`, {
      method: 'POST',
      json: { events: [{ type: 'metrics', step: 1, values: { loss: 1 } }, { type: 'metrics', step: -1, values: { loss: 'abc' } }, { type: 'nope' }] },
    });
    expect(r.status).toBe(400);
    const paths = r.body.error.issues.map((i: any) => i.path);
    expect(paths).toContain('events.1.step');
    expect(paths).toContain('events.1.values.loss');
    expect(paths).toContain('events.2.type');
    const events = await api(s.url, `/runs/${run.id}/events`);
    expect(events.body.events).toEqual([]);
  });

  it('answers 404, 413 and 415 with the error shape, never 500', async () => {
    const missing = await api(s.url, '/runs/nope/events', { method: 'POST', json: { events: [] } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const run = await newRun('limits');
    const wrongType = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/csv' } });
    expect(wrongType.status).toBe(415);
    const many = { events: Array.from({ length: 10_001 }, (_, i) => ({ type: 'metrics', step: i, values: { l: 1 } })) };
    const tooMany = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: many });
    expect(tooMany.status).toBe(413);
    const huge = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: { events: [{ type: 'log', message: 'x'.repeat(9_000_000) }] } });
    expect(huge.status).toBe(413);
    const broken = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', body: '{"events": [', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_body');
  });

  it('refuses configs and values nested past any real one with 400 and their path, never 500', async () => {
    const deep = (levels: number) => '['.repeat(levels) + '1' + ']'.repeat(levels);
    const post = (path: string, body: string) => api(s.url, path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const run = await post('/runs', `{"name":"deep","config":{"layers":${deep(20_000)}}}`);
    expect(run.status).toBe(400);
    // Refused from the text, before it is parsed, with the path where it goes too deep.
    expect(run.body.error.issues[0].path).toMatch(/^config\.layers\.0\.0\.0/);
    expect((await api(s.url, '/runs?project=default')).body.runs.map((r: any) => r.name)).not.toContain('deep');
    const target = await newRun('deep-events');
    const started = await post(`/runs/${target.id}/events`, `[{"type":"run_started","meta":{"m":${deep(20_000)}}}]`);
    expect(started.body.error.issues[0].path).toMatch(/^0\.meta\.m\.0/);
    const value = await post(`/runs/${target.id}/events`, `[{"type":"metrics","step":1,"values":{"loss":${deep(20_000)}}}]`);
    expect(value.status).toBe(400);
    expect(value.body.error.issues[0].path).toMatch(/^0\.values\.loss\.0/);
    expect((await api(s.url, `/runs/${target.id}/events`)).body.events).toEqual([]);
    // A config nested as deep as real ones are is kept whole.
    const nested = await newRun('nested', { config: { optimizer: { adam: { betas: [0.9, 0.999] } } } });
    expect(nested.config.optimizer.adam.betas).toEqual([0.9, 0.999]);
  });

  it('reports status like a task: progress, best epoch, ETA, average epoch time', async () => {
    const run = await newRun('status', { total_epochs: 4 });
    const t0 = Date.now() - 40_000;
    const events = [];
    for (let e = 1; e <= 2; e++) {
      events.push({ type: 'epoch_started', epoch: e, ts: t0 + (e - 1) * 10_000 });
      events.push({ type: 'metrics', epoch: e, step: e * 100, ts: t0 + e * 10_000 - 1, values: { train_loss: 1 / e, val_loss: e === 1 ? 0.9 : 0.7 } });
      events.push({ type: 'epoch_ended', epoch: e, ts: t0 + e * 10_000 });
    }
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events });
    const st = (await api(s.url, `/runs/${run.id}`)).body;
    expect(st.progress).toBe(50);
    expect(st.epoch).toBe(2);
    expect(st.total_epochs).toBe(4);
    expect(st.best).toMatchObject({ metric: 'val_loss', value: 0.7, epoch: 2 });
    expect(st.avg_epoch_time_s).toBeCloseTo(10, 0);
    expect(st.eta_s).toBeGreaterThan(0);
    expect(st.open_findings).toBe(0);
    const byName = await api(s.url, '/runs/p%2Fstatus');
    expect(byName.body.id).toBe(run.id);
  });

  it('draws a long series within max_points, keeping the spike and both ends', async () => {
    const run = await newRun('envelope');
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'metrics', step: i, values: { loss: i === 500 ? 50 : 1 - i / 2000 } }));
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events });
    const m = await api(s.url, `/runs/${run.id}/metrics?names=loss&max_points=50&from_step=0&to_step=999`);
    const pts = m.body.series[0].points;
    expect(pts.length).toBeLessThanOrEqual(50);
    expect(pts.length).toBeGreaterThan(20);
    expect(m.body.series[0].count).toBe(1000);
    expect(pts.some((p: any) => p.value === 50)).toBe(true);
    expect(pts[0].step).toBe(0);
    expect(pts[pts.length - 1].step).toBe(999);
  });

  it('serves health and Prometheus metrics', async () => {
    expect((await api(s.url, '/healthz')).body.status).toBe('ok');
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('analyst_events_ingested_total');
    expect(text).toContain('analyst_ingest_batch_seconds_bucket');
  });
});

describe('auth', () => {
  it('requires the bearer token on every route but /healthz', async () => {
    const locked = await testServer({ ANALYST_TOKEN: 'sekret-token' });
    try {
      expect((await api(locked.url, '/runs')).status).toBe(401);
      expect((await api(locked.url, '/runs', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await api(locked.url, '/runs', { headers: { authorization: 'Bearer sekret-token' } })).status).toBe(200);
      expect((await api(locked.url, '/healthz')).status).toBe(200);
      // An MLflow client reads MLflow's error shape, also when the token check stops it.
      const mlflow = await api(locked.url, '/api/2.0/mlflow/experiments/list');
      expect(mlflow.status).toBe(401);
      expect(mlflow.body.error_code).toBe('UNAUTHENTICATED');
    } finally {
      await locked.stop();
    }
  });
});

describe('findings read back', () => {
  it('keep names, nulls and non-finite numbers in their evidence', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'evidence', project: 'p' } })).body;
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 } }, { type: 'metrics', step: 2, values: { loss: 'NaN' } }] });
    const [f] = (await api(s.url, `/runs/${run.id}/findings`)).body.findings;
    expect(f.kind).toBe('nan_loss');
    expect(f.evidence.value).toBe('NaN');
    expect(f.evidence.epoch).toBeNull();
    expect(Object.values(f.evidence)).toContain('train_loss');
  });
});
