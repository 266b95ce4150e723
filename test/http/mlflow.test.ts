import mlflowPackage from 'mlflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

// The package's main export is the class itself, while its typings declare it as `default`.
const MLflow = mlflowPackage as unknown as new (args: { endpoint: string }) => any;
let s: TestServer;
const base = () => `${s.url}/api/2.0/mlflow`;
beforeAll(async () => {
  s = await testServer();
  // The npm client prints every request body; keep test output readable.
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterAll(async () => s.stop());

describe('MLflow receiver with the npm mlflow client', () => {
  it('logs a run end to end', async () => {
    const client = new MLflow({ endpoint: s.url });
    const { experiment_id } = await client.Experiments.create({ name: 'npm-exp' });
    const { experiment } = await client.Experiments.get({ experiment_id });
    expect(experiment.name).toBe('npm-exp');
    const { run } = await client.Runs.create({ experiment_id, start_time: Date.now(), tags: [{ key: 'mlflow.runName', value: 'npm-run' }] });
    const runId = run.info.run_id;
    await client.Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' });
    await client.Runs.setTag({ run_id: runId, key: 'team', value: 'vision' });
    for (let step = 0; step < 5; step++) {
      await client.Runs.logMetric({ run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step });
    }
    await client.Runs.logBatch({
      run_id: runId,
      metrics: [{ key: 'val_loss', value: 0.4, timestamp: Date.now(), step: 4 }],
      params: [{ key: 'batch_size', value: '32' }],
      tags: [],
    });
    await client.Runs.update({ run_id: runId, status: 'FINISHED', end_time: Date.now() });
    const got = await client.Runs.get({ run_id: runId });
    expect(got.run.info.status).toBe('FINISHED');
    expect(got.run.data.params).toEqual(expect.arrayContaining([{ key: 'lr', value: '0.01' }, { key: 'batch_size', value: '32' }]));
    expect(got.run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'vision' }]));
    const history = await client.Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    expect(history.metrics.map((m: any) => m.step)).toEqual([0, 1, 2, 3, 4]);
    const { runs } = await client.Runs.search({ experiment_ids: [experiment_id] });
    expect(runs.map((r: any) => r.info.run_id)).toContain(runId);
    // An MLflow run is an ordinary run here: params became its config.
    const mine = await api(s.url, `/runs/${runId}`);
    expect(mine.body).toMatchObject({ project: 'npm-exp', name: 'npm-run', status: 'completed', config: { lr: 0.01, batch_size: 32 } });
  });
});

describe('MLflow receiver with requests shaped like the Python client', () => {
  const post = (path: string, json: unknown) => api(base(), path, { method: 'POST', json });

  it('uses the Default experiment and NaN as protobuf JSON writes it', async () => {
    const byName = await api(base(), '/experiments/get-by-name?experiment_name=Default');
    expect(byName.body.experiment.experiment_id).toBe('0');
    const created = await post('/runs/create', { experiment_id: '0', user_id: 'me', start_time: '1700000000000', tags: [], run_name: 'py' });
    const runId = created.body.run.info.run_id;
    const r = await post('/runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 2.5, timestamp: '1700000001000', step: '0' },
        { key: 'loss', value: 'NaN', timestamp: '1700000002000', step: '1' },
      ],
      params: [],
      tags: [],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    const h = await api(base(), `/metrics/get-history?run_id=${runId}&metric_key=loss`);
    expect(h.body.metrics).toEqual([
      { key: 'loss', value: 2.5, timestamp: 1700000001000, step: 0 },
      { key: 'loss', value: 'NaN', timestamp: 1700000002000, step: 1 },
    ]);
    const findings = await api(s.url, `/runs/${runId}/findings`);
    expect(findings.body.findings.map((f: any) => f.kind)).toContain('nan_loss');
  });

  it('creates a second run with a name used before, as MLflow does', async () => {
    const first = (await post('/runs/create', { experiment_id: '0', run_name: 'again' })).body.run.info;
    const second = (await post('/runs/create', { experiment_id: '0', run_name: 'again' })).body.run.info;
    expect(second.run_id).not.toBe(first.run_id);
    expect([first.run_name, second.run_name]).toEqual(['again', 'again']);
    const listed = await api(s.url, '/runs?project=Default&name=again');
    expect(listed.body.runs.map((r: any) => r.id)).toEqual([second.run_id, first.run_id]);
  });

  it('renames a run to a name another run has, and pages experiments/search by max_results', async () => {
    const exp = (await api(base(), '/experiments/create', { method: 'POST', json: { name: 'paged-0' } })).body.experiment_id;
    for (let i = 1; i < 5; i++) await api(base(), '/experiments/create', { method: 'POST', json: { name: `paged-${i}` } });
    const a = (await api(base(), '/runs/create', { method: 'POST', json: { experiment_id: exp, run_name: 'taken' } })).body.run.info.run_id;
    const b = (await api(base(), '/runs/create', { method: 'POST', json: { experiment_id: exp, run_name: 'other' } })).body.run.info.run_id;
    const renamed = await api(base(), '/runs/update', { method: 'POST', json: { run_id: b, run_name: 'taken' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.run_info.run_name).toBe('taken');
    expect((await api(base(), `/runs/get?run_id=${a}`)).body.run.info.run_name).toBe('taken');
    const names: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const page = await api(base(), '/experiments/search', { method: 'POST', json: { max_results: 2, ...(token ? { page_token: token } : {}) } });
      expect(page.status).toBe(200);
      expect(page.body.experiments.length).toBeLessThanOrEqual(2);
      names.push(...page.body.experiments.map((e: any) => e.name));
      token = page.body.next_page_token;
      if (!token) break;
    }
    expect(names).toEqual(expect.arrayContaining(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']));
    expect(new Set(names).size).toBe(names.length);
    const viaGet = await api(base(), '/experiments/search?max_results=1');
    expect(viaGet.body.experiments).toHaveLength(1);
    expect(viaGet.body.next_page_token).toBe('eyJvZmZzZXQiOiAxfQ==');
    expect((await api(base(), '/experiments/search?max_results=0')).status).toBe(400);
    expect((await api(base(), '/experiments/search?page_token=abc')).status).toBe(400);
  });

  it('answers errors in MLflow shape and enforces its limits', async () => {
    const missing = await api(base(), '/runs/get?run_id=doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const dup = await post('/experiments/create', { name: 'twice' });
    expect(dup.status).toBe(200);
    const again = await post('/experiments/create', { name: 'twice' });
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const run = (await post('/runs/create', { experiment_id: dup.body.experiment_id })).body.run.info.run_id;
    const tooMany = await post('/runs/log-batch', {
      run_id: run,
      metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const tooManyParams = await post('/runs/log-batch', { run_id: run, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) });
    expect(tooManyParams.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const tooBig = await post('/runs/log-batch', { run_id: run, tags: Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(5000) })), params: Array.from({ length: 99 }, (_, i) => ({ key: `k${i}`, value: 'y'.repeat(8000) })) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.message).toMatch(/limit/);
    const badValue = await post('/runs/log-metric', { run_id: run, key: 'loss', value: 'lots', timestamp: 1, step: 0 });
    expect(badValue.status).toBe(400);
    expect(badValue.body.message).toMatch(/value/);
    // Steps and times no event can hold are refused with their path, and nothing of the batch is kept.
    for (const [step, timestamp, path] of [[-5, 1, 'metrics.1.step'], [1e300, 1, 'metrics.1.step'], ['99999999999999999999', 1, 'metrics.1.step'], [1, -1, 'metrics.1.timestamp']] as const) {
      const bad = await post('/runs/log-batch', { run_id: run, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }, { key: 'm', value: 2, timestamp, step }] });
      expect(bad.status).toBe(400);
      expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(bad.body.message).toContain(path);
    }
    const badStep = await post('/runs/log-metric', { run_id: run, key: 'm', value: 1, timestamp: 1, step: -1 });
    expect(badStep.status).toBe(400);
    // A param keeps its first value: the same value again is fine, a different one is refused, as by MLflow.
    expect((await post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.1' })).status).toBe(200);
    expect((await post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.1' })).status).toBe(200);
    const changed = await post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.2' });
    expect(changed.status).toBe(400);
    expect(changed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const clash = await post('/runs/log-batch', { run_id: run, params: [{ key: 'bs', value: '32' }, { key: 'bs', value: '64' }] });
    expect(clash.status).toBe(400);
    expect((await api(base(), `/runs/get?run_id=${run}`)).body.run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    const history = await api(base(), `/metrics/get-history?run_id=${run}&metric_key=m`);
    expect(history.body.metrics).toEqual([]);
  });
});
