// GET /runs/compare over HTTP: N runs by id or name, ranking, config and summary differences, the comparison in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunsComparison } from '../../src/domain/analysis.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const ids: Record<string, string> = {};

/** Ten epochs whose validation loss falls to `floor`, reaching it at epoch `bestAt` and flat after. */
function epochs(floor: number, bestAt: number) {
  const events: Record<string, unknown>[] = [];
  for (let epoch = 1; epoch <= 10; epoch++) {
    const val = floor + 0.5 * Math.max(0, bestAt - epoch) / bestAt;
    events.push({ type: 'metrics', epoch, step: epoch * 100, values: { train_loss: val - 0.05, val_loss: val, val_acc: 0.5 + 0.3 * (1 - val) } });
  }
  return events;
}

async function run(name: string, config: Record<string, unknown>, floor: number, bestAt: number) {
  const created = await api(s.url, '/runs', { method: 'POST', json: { name, project: 'cmp', config } });
  expect(created.status).toBe(201);
  const posted = await api(s.url, `/runs/${created.body.id}/events`, { method: 'POST', json: [...epochs(floor, bestAt), { type: 'run_finished', status: 'completed' }] });
  expect(posted.status).toBe(200);
  ids[name] = created.body.id;
}

beforeAll(async () => {
  s = await testServer();
  await run('adam-lr3e-4', { optimizer: { name: 'adam', lr: 3e-4 }, batch_size: 64, seed: 1 }, 0.3, 6);
  await run('sgd-lr0.1', { optimizer: { name: 'sgd', lr: 0.1 }, batch_size: 64, seed: 1 }, 0.45, 8);
  await run('adam-lr1e-3', { optimizer: { name: 'adam', lr: 1e-3 }, batch_size: 128, seed: 1 }, 0.35, 4);
});
afterAll(async () => s?.stop());

describe('GET /runs/compare', () => {
  it('compares three runs named by id or name: ranking, only the config keys that differ, summary differences, words', async () => {
    const r = await api(s.url, `/runs/compare?ids=${ids['sgd-lr0.1']},cmp/adam-lr3e-4,adam-lr1e-3`);
    expect(r.status).toBe(200);
    const c = RunsComparison.parse(r.body);
    expect(c.runs.map((x) => x.name)).toEqual(['sgd-lr0.1', 'adam-lr3e-4', 'adam-lr1e-3']);
    expect(c.runs.map((x) => x.id)).toEqual([ids['sgd-lr0.1'], ids['adam-lr3e-4'], ids['adam-lr1e-3']]);
    expect(c.runs.every((x) => x.status === 'completed' && x.project === 'cmp')).toBe(true);
    expect(c.metric).toBe('val_loss');
    expect(c.lower_is_better).toBe(true);
    expect(c.ranking.map((x) => x.run)).toEqual([ids['adam-lr3e-4'], ids['adam-lr1e-3'], ids['sgd-lr0.1']]);
    expect(c.ranking.map((x) => x.rank)).toEqual([1, 2, 3]);
    expect(c.ranking[0].best_value).toBeCloseTo(0.3, 9);
    expect(c.ranking.map((x) => x.best_epoch)).toEqual([6, 4, 8]);
    expect(c.ranking[2].best_difference).toBeCloseTo(0.15, 9);
    expect(c.ranking.map((x) => x.epochs_to_converge_difference)).toEqual([0, -2, 2]);
    // seed is the same everywhere: not a difference. Nested keys are dotted, one value per run in `runs` order.
    expect(c.config_differences).toEqual({ batch_size: [64, 64, 128], 'optimizer.lr': [0.1, 3e-4, 1e-3], 'optimizer.name': ['sgd', 'adam', 'adam'] });
    expect(c.summary_differences.best_epoch).toEqual([8, 6, 4]);
    expect(c.summary_differences.best_value![1]).toBeCloseTo(0.3, 9);
    expect(c.summary_differences).not.toHaveProperty('status');
    expect(c.summary_differences).not.toHaveProperty('total_epochs');
    expect(c.text).toContain('adam-lr3e-4 performs best with 0.3 at epoch 6');
    expect(c.text).toContain('optimizer.lr (0.1, 3e-4, 0.001)');
    expect(c.text).not.toContain(ids['sgd-lr0.1']);
    expect(c).not.toHaveProperty('comparison');
  });

  it('keeps the ?a=&b= form, with its pair comparison', async () => {
    const r = await api(s.url, `/runs/compare?a=sgd-lr0.1&b=${ids['adam-lr1e-3']}`);
    expect(r.status).toBe(200);
    expect(r.body.a.id).toBe(ids['sgd-lr0.1']);
    expect(r.body.b.name).toBe('adam-lr1e-3');
    expect(r.body.comparison.better).toBe('b');
    expect(r.body.comparison.epochs_to_converge_difference).toBe(8 - 4);
    expect(r.body.runs).toHaveLength(2);
  });

  it('answers bad requests with a 4xx naming what is wrong', async () => {
    const one = await api(s.url, `/runs/compare?ids=${ids['sgd-lr0.1']}`);
    expect(one.status).toBe(400);
    expect(one.body.error.issues[0]).toMatchObject({ path: 'ids', message: 'compare at least 2 runs' });
    const many = await api(s.url, `/runs/compare?ids=${Array.from({ length: 21 }, (_, i) => `r${i}`).join(',')}`);
    expect(many.status).toBe(400);
    expect(many.body.error.issues[0].path).toBe('ids');
    const half = await api(s.url, `/runs/compare?a=${ids['sgd-lr0.1']}`);
    expect(half.status).toBe(400);
    expect(half.body.error.issues[0].path).toBe('b');
    const twice = await api(s.url, `/runs/compare?ids=${ids['sgd-lr0.1']},sgd-lr0.1`);
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toContain('named twice');
    const missing = await api(s.url, `/runs/compare?ids=${ids['sgd-lr0.1']},no-such-run`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('no-such-run');
  });

  it('says when runs cannot be ranked', async () => {
    const empty = (await api(s.url, '/runs', { method: 'POST', json: { name: 'no-metrics', project: 'cmp' } })).body;
    const r = await api(s.url, `/runs/compare?ids=${empty.id},${ids['sgd-lr0.1']}`);
    expect(r.status).toBe(200);
    expect(r.body.ranking.every((x: { rank: number | null }) => x.rank === null)).toBe(true);
    expect(r.body.text).toContain('cannot be ranked');
  });
});
