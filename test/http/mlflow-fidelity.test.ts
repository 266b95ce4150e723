// What an MLflow client logs comes back as it was logged: params verbatim, history in step order, non-finite values, nested runs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const mlflow = (path: string, json?: unknown) => api(`${s.url}/api/2.0/mlflow`, path, json === undefined ? {} : { method: 'POST', json });
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const newRun = async (json: object = {}) => (await mlflow('/runs/create', { experiment_id: '0', start_time: 1_700_000_000_000, ...json })).body.run.info.run_id as string;

it('returns params byte for byte, while the config the rules read holds their typed reading', async () => {
  const run = await newRun({ run_name: 'params' });
  const sent = [
    { key: 'lr', value: '5.0' },
    { key: 'wd', value: '1e-3' },
    { key: 'seed', value: '007' },
    { key: 'amp', value: 'True' },
    { key: 'name', value: ' spaced ' },
  ];
  expect((await mlflow('/runs/log-batch', { run_id: run, params: sent.slice(0, 3) })).status).toBe(200);
  for (const p of sent.slice(3)) expect((await mlflow('/runs/log-parameter', { run_id: run, run_uuid: run, ...p })).status).toBe(200);
  const got = await mlflow(`/runs/get?run_uuid=${run}&run_id=${run}`);
  expect(got.body.run.data.params).toEqual(sent);
  // The same value again is accepted; "5" is not "5.0", so it is a change and refused, as by MLflow.
  expect((await mlflow('/runs/log-parameter', { run_id: run, key: 'lr', value: '5.0' })).status).toBe(200);
  const changed = await mlflow('/runs/log-parameter', { run_id: run, key: 'lr', value: '5' });
  expect(changed.status).toBe(400);
  expect(changed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  const searched = await mlflow('/runs/search', { experiment_ids: ['0'], filter: "params.seed = '007'" });
  expect(searched.body.runs.map((r: any) => r.info.run_id)).toEqual([run]);
  const own = await api(s.url, `/runs/${run}`);
  expect(own.body.config).toEqual({ lr: 5, wd: 0.001, seed: 7, amp: true, name: ' spaced ' });
});

it('orders history by step then time and takes "latest" at the highest step, whatever order batches arrive in', async () => {
  const run = await newRun({ run_name: 'async' });
  const steps = [0, 5, 1, 7, 6, 3, 8, 4, 9, 2];
  await Promise.all(
    steps.map((step) =>
      mlflow('/runs/log-batch', { run_id: run, metrics: [{ key: 'loss', value: step === 3 ? 'NaN' : 1 / (step + 1), step, timestamp: 1_700_000_000_000 + step }] }),
    ),
  );
  // Two values at one step: the later time comes after, and is the latest.
  await mlflow('/runs/log-metric', { run_id: run, key: 'loss', value: 'Infinity', step: 9, timestamp: 1_700_000_000_100 });
  await mlflow('/runs/log-metric', { run_id: run, key: 'loss', value: 0.05, step: 9, timestamp: 1_700_000_000_050 });
  const history = (await mlflow(`/metrics/get-history?run_id=${run}&metric_key=loss`)).body.metrics;
  expect(history.map((m: any) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9]);
  expect(history.map((m: any) => m.timestamp).slice(-3)).toEqual([1_700_000_000_009, 1_700_000_000_050, 1_700_000_000_100]);
  expect(history[3].value).toBe('NaN');
  expect(history[11].value).toBe('Infinity');
  const latest = (await mlflow(`/runs/get?run_id=${run}`)).body.run.data.metrics;
  expect(latest).toEqual([{ key: 'loss', value: 'Infinity', step: 9, timestamp: 1_700_000_000_100 }]);
});

it('makes a nested run a child of its parent, and keeps duplicate names', async () => {
  const parent = await newRun({ run_name: 'sweep' });
  const children = [];
  for (let i = 0; i < 2; i++) {
    children.push(await newRun({ run_name: 'child', tags: [{ key: 'mlflow.parentRunId', value: parent }, { key: 'mlflow.runName', value: 'child' }] }));
  }
  const found = await mlflow('/runs/search', { experiment_ids: ['0'], filter: `tags.mlflow.parentRunId = '${parent}'` });
  expect(found.body.runs.map((r: any) => [r.info.run_id, r.info.run_name]).sort()).toEqual(children.map((id) => [id, 'child']).sort());
  for (const id of children) expect((await api(s.url, `/runs/${id}`)).body.parent_run).toBe(parent);
  // A parent id this service does not hold stays a tag, as MLflow keeps any tag.
  const orphan = await newRun({ run_name: 'orphan', tags: [{ key: 'mlflow.parentRunId', value: 'elsewhere' }] });
  expect((await api(s.url, `/runs/${orphan}`)).body.parent_run).toBeNull();
});
