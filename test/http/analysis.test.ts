import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const RUNS = GENERATED;
let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

async function load(name: string): Promise<string> {
  const run = (await api(s.url, '/runs', { method: 'POST', json: { name, project: 'compare' } })).body;
  const res = await fetch(`${s.url}/runs/${run.id}/import?filename=${name}.jsonl`, { method: 'POST', body: readFileSync(`${RUNS}/${name}.jsonl`) });
  expect(res.status).toBe(200);
  return run.id;
}

describe('run analysis and comparison', () => {
  it('analyses a run and says which of two runs performed better', async () => {
    const healthy = await load('digits-s1-healthy-adam');
    const slow = await load('digits-s1-lr-too-low');
    const analysis = await api(s.url, `/runs/${healthy}/analysis`);
    expect(analysis.status).toBe(200);
    expect(analysis.body.summary.best_epoch).toBeGreaterThan(0);
    const cmp = await api(s.url, `/runs/compare?a=${healthy}&b=compare/digits-s1-lr-too-low`);
    expect(cmp.status).toBe(200);
    expect(cmp.body.b.id).toBe(slow);
    expect(cmp.body.comparison.better).toBe('a');
    const missing = await api(s.url, `/runs/compare?a=${healthy}`);
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues[0].path).toBe('b');
  });
});
