// MLflow's run and experiment lifecycle: delete / restore, experiment tags, rename, sampled history.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const mlflow = (path: string, json?: unknown) => api(`${s.url}/api/2.0/mlflow`, path, json === undefined ? {} : { method: 'POST', json });
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const names = (body: any) => (body.runs ?? []).map((r: any) => r.info.run_name);

it('deletes a run softly and restores it, as MLflow lifecycle stages do', async () => {
  const eid = (await mlflow('/experiments/create', { name: 'lifecycle' })).body.experiment_id;
  const ids: string[] = [];
  for (const name of ['kept', 'dropped']) ids.push((await mlflow('/runs/create', { experiment_id: eid, run_name: name, start_time: 1000 + ids.length })).body.run.info.run_id);
  await mlflow('/runs/log-metric', { run_id: ids[1], key: 'loss', value: 0.5, step: 0, timestamp: 1 });
  expect((await mlflow('/runs/delete', { run_id: ids[1] })).body).toEqual({});
  expect(names((await mlflow('/runs/search', { experiment_ids: [eid] })).body)).toEqual(['kept']);
  expect(names((await mlflow('/runs/search', { experiment_ids: [eid], run_view_type: 'DELETED_ONLY' })).body)).toEqual(['dropped']);
  expect(names((await mlflow('/runs/search', { experiment_ids: [eid], run_view_type: 'ALL' })).body)).toEqual(['dropped', 'kept']);
  expect((await mlflow(`/runs/get?run_id=${ids[1]}`)).body.run.info.lifecycle_stage).toBe('deleted');
  expect((await mlflow('/runs/restore', { run_id: ids[1] })).status).toBe(200);
  const restored = (await mlflow(`/runs/get?run_id=${ids[1]}`)).body.run;
  expect(restored.info.lifecycle_stage).toBe('active');
  expect(restored.data.metrics).toEqual([{ key: 'loss', value: 0.5, step: 0, timestamp: 1 }]);
  expect(names((await mlflow('/runs/search', { experiment_ids: [eid] })).body)).toEqual(['dropped', 'kept']);
  expect((await mlflow('/runs/delete', { run_id: 'nope' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  expect((await mlflow('/runs/delete', {})).body.error_code).toBe('INVALID_PARAMETER_VALUE');
});

it('tags, renames, deletes and restores experiments', async () => {
  const eid = (await mlflow('/experiments/create', { name: 'exp-old' })).body.experiment_id;
  const run = (await mlflow('/runs/create', { experiment_id: eid, run_name: 'r' })).body.run.info.run_id;
  // A rename through runs/update, as update_run(name=...) sends it: the status and end time come along.
  expect((await mlflow('/runs/update', { run_id: run, run_uuid: run, status: 'RUNNING', run_name: 'r-renamed' })).body.run_info.run_name).toBe('r-renamed');
  const renamed = (await mlflow(`/runs/get?run_id=${run}`)).body.run;
  expect([renamed.info.run_name, renamed.data.tags.find((t: any) => t.key === 'mlflow.runName').value]).toEqual(['r-renamed', 'r-renamed']);
  expect((await mlflow('/experiments/set-experiment-tag', { experiment_id: eid, key: 'owner', value: 'vision-team' })).body).toEqual({});
  expect((await mlflow(`/experiments/get?experiment_id=${eid}`)).body.experiment.tags).toEqual([{ key: 'owner', value: 'vision-team' }]);
  expect((await mlflow('/experiments/set-experiment-tag', { experiment_id: '999', key: 'a', value: 'b' })).status).toBe(404);
  expect((await mlflow('/experiments/update', { experiment_id: eid, new_name: 'exp-new' })).status).toBe(200);
  expect((await mlflow(`/experiments/get-by-name?experiment_name=exp-new`)).body.experiment.experiment_id).toBe(eid);
  // The experiment's runs are still its runs, here and in the service's own listing.
  expect(names((await mlflow('/runs/search', { experiment_ids: [eid] })).body)).toEqual(['r-renamed']);
  expect((await api(s.url, `/runs/${run}`)).body.project).toBe('exp-new');
  await mlflow('/experiments/create', { name: 'taken' });
  expect((await mlflow('/experiments/update', { experiment_id: eid, new_name: 'taken' })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  expect((await mlflow('/experiments/delete', { experiment_id: eid })).status).toBe(200);
  expect((await mlflow(`/experiments/get?experiment_id=${eid}`)).body.experiment.lifecycle_stage).toBe('deleted');
  const listed = async (view?: string) => ((await mlflow('/experiments/search', view ? { view_type: view } : {})).body.experiments ?? []).map((e: any) => e.name);
  expect(await listed()).not.toContain('exp-new');
  expect(await listed('DELETED_ONLY')).toEqual(['exp-new']);
  expect((await mlflow('/experiments/restore', { experiment_id: eid })).status).toBe(200);
  expect(await listed()).toContain('exp-new');
});

it('samples one metric of several runs with get-history-bulk-interval', async () => {
  const runs: string[] = [];
  for (let r = 0; r < 2; r++) {
    const id = (await mlflow('/runs/create', { experiment_id: '0', run_name: `bulk-${r}` })).body.run.info.run_id;
    runs.push(id);
    const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: r + 1 / (step + 1), step, timestamp: 10 + step }));
    metrics.reverse();
    await mlflow('/runs/log-batch', { run_id: id, metrics });
  }
  const q = (extra: string) => mlflow(`/metrics/get-history-bulk-interval?run_ids=${runs[0]}&run_ids=${runs[1]}&metric_key=loss${extra}`);
  const all = (await q('&max_results=100')).body.metrics;
  expect(all).toHaveLength(100);
  expect(all[0]).toEqual({ key: 'loss', value: 1, step: 0, timestamp: 10, run_id: runs[0] });
  const sampled = (await q('&max_results=5')).body.metrics.filter((m: any) => m.run_id === runs[1]).map((m: any) => m.step);
  expect(sampled).toEqual([0, 12, 25, 37, 49]);
  const ranged = (await q('&start_step=10&end_step=12')).body.metrics.filter((m: any) => m.run_id === runs[0]).map((m: any) => m.step);
  expect(ranged).toEqual([10, 11, 12]);
  const bad = await mlflow('/metrics/get-history-bulk-interval?metric_key=loss');
  expect(bad.status).toBe(400);
  expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
});
