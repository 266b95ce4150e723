// runs/search and experiments/search over HTTP: filters, order and pages as MLflow clients send them.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const post = (path: string, json: unknown) => api(`${s.url}/api/2.0/mlflow`, path, { method: 'POST', json });
let eid: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  s = await testServer();
  eid = (await post('/experiments/create', { name: 'search-experiment' })).body.experiment_id;
  await post('/experiments/create', { name: 'other-experiment' });
  let start = 1_700_000_000_000;
  for (const [name, lr, team, losses] of [
    ['run-a', '0.01', 'vision', [0.9, 0.6, 0.4]],
    ['run-b', '0.1', 'nlp', [0.8, 0.7, 0.65]],
    ['run-c', '0.01', 'vision', [1.2, 0.9, 0.7]],
  ] as const) {
    start += 1000;
    const id = (await post('/runs/create', { experiment_id: eid, run_name: name, start_time: start, tags: [{ key: 'mlflow.runName', value: name }] })).body.run.info.run_id;
    ids[name] = id;
    await post('/runs/log-batch', { run_id: id, params: [{ key: 'lr', value: lr }], tags: [{ key: 'team', value: team }], metrics: losses.map((v, step) => ({ key: 'loss', value: v, step, timestamp: start + step })) });
    await post('/runs/update', { run_id: id, status: 'FINISHED', end_time: start + 10 });
  }
});
afterAll(async () => s.stop());

const names = (body: any) => (body.runs ?? []).map((r: any) => r.info.run_name);
const search = (json: object) => post('/runs/search', { experiment_ids: [eid], ...json });

describe('runs/search', () => {
  it('filters on metrics, params, tags and attributes', async () => {
    expect(names((await search({ filter: 'metrics.loss < 0.5' })).body)).toEqual(['run-a']);
    expect(names((await search({ filter: "params.lr = '0.01'" })).body)).toEqual(['run-c', 'run-a']);
    expect(names((await search({ filter: "tags.team = 'vision' AND metrics.loss > 0.5" })).body)).toEqual(['run-c']);
    expect(names((await search({ filter: "attributes.status = 'FINISHED'" })).body)).toEqual(['run-c', 'run-b', 'run-a']);
    expect(names((await search({ filter: "attributes.run_name ILIKE 'RUN-_'" })).body)).toHaveLength(3);
    expect(names((await search({ filter: `attributes.run_id IN ('${ids['run-b']}')` })).body)).toEqual(['run-b']);
    expect((await search({ filter: "params.lr = '0.5'" })).body).toEqual({});
  });

  it('orders by the given keys, newest first by default', async () => {
    expect(names((await search({ order_by: ['metrics.loss ASC'] })).body)).toEqual(['run-a', 'run-b', 'run-c']);
    expect(names((await search({ order_by: ['params.lr DESC', 'attributes.start_time ASC'] })).body)).toEqual(['run-b', 'run-a', 'run-c']);
    expect(names((await search({})).body)).toEqual(['run-c', 'run-b', 'run-a']);
  });

  it('pages with max_results and page tokens until an empty page', async () => {
    const pages: string[][] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await search({ max_results: 1, order_by: ['attributes.start_time ASC'], ...(token ? { page_token: token } : {}) });
      expect(r.status).toBe(200);
      pages.push(names(r.body));
      token = r.body.next_page_token;
      if (!token) break;
    }
    expect(pages).toEqual([['run-a'], ['run-b'], ['run-c'], []]);
  });

  it('finds every run of an experiment larger than the pages it reads the runs in', async () => {
    const big = (await post('/experiments/create', { name: 'big-experiment' })).body.experiment_id;
    const created: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = w; i < 450; i += 10) {
          const r = await post('/runs/create', { experiment_id: big, run_name: `big-${i}`, start_time: 1_800_000_000_000 + i });
          created.push(r.body.run.info.run_id);
        }
      }),
    );
    const r = await post('/runs/search', { experiment_ids: [big], max_results: 1000 });
    expect(r.status).toBe(200);
    expect(r.body.runs.map((x: any) => x.info.run_id).sort()).toEqual(created.sort());
    // Newest start first, across the pages.
    expect(r.body.runs[0].info.run_name).toBe('big-449');
    expect(r.body.runs[449].info.run_name).toBe('big-0');
  });

  it('answers INVALID_PARAMETER_VALUE for a filter, order or token it cannot read, never the full list', async () => {
    for (const bad of [{ filter: 'metrics.loss <' }, { filter: "metrics.loss < 1 OR params.lr = '1'" }, { filter: 'loss < 1' }, { order_by: ['metrics.loss SIDEWAYS'] }, { page_token: 'not-a-token' }, { run_view_type: 'SOME' }]) {
      const r = await search(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(r.body.runs).toBeUndefined();
    }
  });
});

describe('filters and orders from a fuzzer', () => {
  it('answers every generated filter and order_by with 200 or 400 INVALID_PARAMETER_VALUE, never a 5xx', async () => {
    const piece = fc.constantFrom('metrics.loss', 'params.lr', 'tags.`a.b`', 'attributes.status', 'run_name', 'AND', 'and', 'OR', '=', '!=', '<=', 'LIKE', 'ILIKE', 'IN', 'NOT', '(', ')', ',', "'0.01'", '"x"', '0.5', '-1e3', '%', '`', "'", '.', ' ');
    const filter = fc.oneof(fc.string({ maxLength: 60 }), fc.array(piece, { maxLength: 12 }).map((p) => p.join(' ')));
    await fc.assert(
      fc.asyncProperty(filter, fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.array(piece, { maxLength: 3 }).map((p) => p.join(' '))), { maxLength: 2 }), async (f, order) => {
        const r = await search({ filter: f, order_by: order });
        expect([200, 400]).toContain(r.status);
        if (r.status === 400) expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe('experiments/search', () => {
  it('filters by name and tags, pages, and refuses what it cannot read', async () => {
    const r = await post('/experiments/search', { filter: "name LIKE 'search%'", max_results: 1000 });
    expect(r.body.experiments.map((e: any) => e.name)).toEqual(['search-experiment']);
    const viaGet = await api(`${s.url}/api/2.0/mlflow`, `/experiments/search?filter=${encodeURIComponent("name = 'other-experiment'")}`);
    expect(viaGet.body.experiments.map((e: any) => e.name)).toEqual(['other-experiment']);
    const ordered = await post('/experiments/search', { order_by: ['name ASC'] });
    const orderedNames = ordered.body.experiments.map((e: any) => e.name);
    expect(orderedNames).toEqual(expect.arrayContaining(['other-experiment', 'search-experiment']));
    expect(orderedNames).toEqual([...orderedNames].sort());
    const bad = await post('/experiments/search', { filter: 'name LIKE' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
