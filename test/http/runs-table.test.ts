// GET /runs as the runs table reads it: text search, sorting by config and latest metric values, and per run the
// metrics' latest values and open findings by severity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const ids: Record<string, string> = {};

async function run(name: string, config: Record<string, unknown>, values: Array<Record<string, unknown>>, tags: Record<string, string> = {}) {
  const created = await api(s.url, '/runs', { method: 'POST', json: { name, project: 'table', config, tags } });
  const events = values.map((v, i) => ({ type: 'metrics', step: (i + 1) * 10, values: v }));
  expect((await api(s.url, `/runs/${created.body.id}/events`, { method: 'POST', json: events })).status).toBe(200);
  ids[name] = created.body.id;
}

const names = (body: { runs: Array<{ name: string }> }) => body.runs.map((r) => r.name);

beforeAll(async () => {
  s = await testServer();
  await run('vit-small', { model: 'vit', optimizer: { name: 'adamw', lr: 3e-4 }, 'data.aug': 'strong' }, [{ val_loss: 0.9 }, { val_loss: 0.7, acc: 0.8 }], { team: 'vision' });
  await run('resnet-a', { model: 'resnet', optimizer: { name: 'sgd', lr: 0.1 }, 'data.aug': 'light' }, [{ val_loss: 0.8 }, { val_loss: 0.5 }]);
  await run('resnet-b', { model: 'resnet', optimizer: { name: 'sgd', lr: 0.05 } }, [{ val_loss: 1.2 }, { val_loss: 'NaN' }]);
});
afterAll(async () => s?.stop());

describe('GET /runs for the runs table', () => {
  it('gives each run its metrics latest values and its open findings by severity', async () => {
    const r = await api(s.url, '/runs?project=table');
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.body.runs.map((x: { name: string }) => [x.name, x]));
    expect(byName['vit-small'].summary).toEqual({ val_loss: 0.7, acc: 0.8 });
    expect(byName['resnet-b'].summary).toEqual({ val_loss: 'NaN' });
    const open = (await api(s.url, `/runs/${ids['resnet-b']}/findings?status=open`)).body.findings as Array<{ severity: 'critical' | 'warning' | 'info' }>;
    const expected = { critical: 0, warning: 0, info: 0 };
    for (const f of open) expected[f.severity]++;
    expect(expected.critical).toBeGreaterThan(0);
    expect(byName['resnet-b'].open_by_severity).toEqual(expected);
    expect(byName['vit-small'].open_by_severity).toEqual({ critical: 0, warning: 0, info: 0 });
  });

  it('sorts by a config key (nested or dotted), a latest metric value and the name, missing values last', async () => {
    expect(names((await api(s.url, '/runs?project=table&sort=config.optimizer.lr')).body)).toEqual(['vit-small', 'resnet-b', 'resnet-a']);
    expect(names((await api(s.url, '/runs?project=table&sort=-config.optimizer.lr')).body)).toEqual(['resnet-a', 'resnet-b', 'vit-small']);
    expect(names((await api(s.url, '/runs?project=table&sort=config.data.aug')).body)).toEqual(['resnet-a', 'vit-small', 'resnet-b']);
    // A NaN latest value sorts with the missing ones, after every number, either way.
    expect(names((await api(s.url, '/runs?project=table&sort=summary.val_loss')).body)).toEqual(['resnet-a', 'vit-small', 'resnet-b']);
    expect(names((await api(s.url, '/runs?project=table&sort=-summary.val_loss')).body)).toEqual(['vit-small', 'resnet-a', 'resnet-b']);
    expect(names((await api(s.url, '/runs?project=table&sort=summary.acc&limit=1&offset=1')).body)).toEqual(['resnet-b']);
    expect(names((await api(s.url, '/runs?project=table&sort=-name')).body)).toEqual(['vit-small', 'resnet-b', 'resnet-a']);
    const bad = await api(s.url, '/runs?sort=color');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('sort');
  });

  it('finds runs whose name, tags or config hold every word of q', async () => {
    expect(names((await api(s.url, '/runs?project=table&q=SGD')).body).sort()).toEqual(['resnet-a', 'resnet-b']);
    expect(names((await api(s.url, '/runs?project=table&q=sgd%20light')).body)).toEqual(['resnet-a']);
    expect(names((await api(s.url, '/runs?project=table&q=vision')).body)).toEqual(['vit-small']);
    expect((await api(s.url, '/runs?project=table&q=nothing-like-this')).body.total).toBe(0);
  });
});
