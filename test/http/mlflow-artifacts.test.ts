// MLflow's artifact proxy on local disk: uploads, listings, downloads, deletions, limits and safe paths.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { TEST_ENGINE } from '../helpers/test-db.ts';

let s: TestServer;
const LIMIT = 64 * 1024;
const art = () => `${s.url}/api/2.0/mlflow-artifacts/artifacts`;
const mlflow = (p: string, json?: unknown) => api(`${s.url}/api/2.0/mlflow`, p, json === undefined ? {} : { method: 'POST', json });
// A body larger than the service's JSON body limit: artifacts have their own.
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(40 * 1024, 7)]);
let run: string;
let root: string;

beforeAll(async () => {
  s = await testServer({ ANALYST_MAX_ARTIFACT_BYTES: String(LIMIT), ANALYST_MAX_BODY_BYTES: String(16 * 1024) });
  root = path.join(s.dir, 'artifacts');
  const eid = (await mlflow('/experiments/create', { name: 'files' })).body.experiment_id;
  run = (await mlflow('/runs/create', { experiment_id: eid, run_name: 'with-files' })).body.run.info.run_id;
});
afterAll(async () => s.stop());

/** A request with its path sent verbatim: fetch would resolve the '%2E%2E' segments before sending. */
function raw(method: string, rawPath: string, body = ''): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}/`, { method, path: rawPath, headers: { 'content-type': 'text/plain' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const put = (rel: string, body: string | Buffer, type = 'text/plain') => fetch(`${art()}/${rel}`, { method: 'PUT', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': type } });

it('stores uploads beside the database, lists them as MLflow does, serves and deletes them', async () => {
  const info = (await mlflow(`/runs/get?run_id=${run}`)).body.run.info;
  expect(info.artifact_uri).toBe(`mlflow-artifacts:/1/${run}/artifacts`);
  const base = `1/${run}/artifacts`;
  expect((await put(`${base}/config/config.json`, '{"lr": 0.01}')).status).toBe(200);
  expect((await put(`${base}/notes.txt`, 'epoch 1\n')).status).toBe(200);
  const up = await put(`${base}/plots/loss.png`, PNG, 'image/png');
  expect([up.status, await up.json()]).toEqual([200, {}]);
  expect(readFileSync(path.join(root, base, 'plots/loss.png')).equals(PNG)).toBe(true);

  const listed = await api(art(), `?path=${encodeURIComponent(base)}`);
  expect(listed.body).toEqual({
    files: [
      { path: 'config', is_dir: true },
      { path: 'notes.txt', is_dir: false, file_size: 8 },
      { path: 'plots', is_dir: true },
    ],
  });
  expect((await api(art(), `?path=${encodeURIComponent(`${base}/config`)}`)).body).toEqual({ files: [{ path: 'config.json', is_dir: false, file_size: 12 }] });
  expect((await api(art(), `?path=${encodeURIComponent(`${base}/notes.txt`)}`)).body).toEqual({});
  expect((await api(art(), `?path=${encodeURIComponent(`${base}/nothing`)}`)).body).toEqual({});

  const png = await fetch(`${art()}/${base}/plots/loss.png`);
  expect([png.status, png.headers.get('content-type'), png.headers.get('x-content-type-options')]).toEqual([200, 'image/png', 'nosniff']);
  expect(Buffer.from(await png.arrayBuffer()).equals(PNG)).toBe(true);
  expect((await fetch(`${art()}/${base}/config/config.json`)).headers.get('content-type')).toMatch(/^text\/plain/);

  expect((await fetch(`${art()}/${base}/notes.txt`, { method: 'DELETE' })).status).toBe(200);
  const gone = await api(art(), `/${base}/notes.txt`);
  expect([gone.status, gone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
});

it('refuses paths that leave the artifact folder, and writes nothing for them', async () => {
  for (const rel of ['..%2Fescape.txt', '%2E%2E/%2E%2E/escape.txt', '1/../../escape.txt', '1/%2e%2e/%2e%2e/escape.txt', '1/a%5C..%5C..%5Cescape.txt', '1/%00x', '1/bad%zz']) {
    const r = await raw('PUT', `/api/2.0/mlflow-artifacts/artifacts/${rel}`, 'x');
    // Dot segments, plain or encoded, are resolved by URL parsing before routing (the request then
    // names no artifact route: 404); what reaches the store with a bad part is refused (400).
    expect([400, 404], rel).toContain(r.status);
    if (r.status === 400) expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  }
  for (const p of ['../', '/etc', '1/../..']) {
    const r = await api(art(), `?path=${encodeURIComponent(p)}`);
    expect(r.status, p).toBe(400);
  }
  expect([400, 404]).toContain((await raw('GET', '/api/2.0/mlflow-artifacts/artifacts/%2E%2E/analyst.db')).status);
  expect([400, 404]).toContain((await raw('DELETE', '/api/2.0/mlflow-artifacts/artifacts/1/..')).status);
  // The SQLite file beside the artifact folder is out of reach too.
  if (TEST_ENGINE === 'sqlite') expect(existsSync(s.db)).toBe(true);
  // A file cannot also be a folder.
  expect((await put(`1/${run}/artifacts/config/config.json/inner.txt`, 'x')).status).toBe(400);
  expect((await put(`1/${run}/artifacts/config`, 'x')).status).toBe(400);
  expect(readdirSync(path.dirname(root)).filter((f) => f.includes('escape'))).toEqual([]);
  expect(existsSync(path.join(path.dirname(s.dir), 'escape.txt'))).toBe(false);
});

it('declines multipart uploads as MLflow does for a local folder, so its client uploads in one request', async () => {
  const r = await api(`${s.url}/api/2.0/mlflow-artifacts`, `/mpu/create/1/${run}/artifacts/model.pkl`, { method: 'POST', json: { path: 'model.pkl', num_parts: 2 } });
  expect(r).toEqual({ status: 501, body: { error_code: 'NOT_IMPLEMENTED', message: 'Multipart upload is not supported for the current artifact repository' } });
});

it('refuses an upload over the limit and keeps neither it nor a partial file', async () => {
  const rel = `1/${run}/artifacts/big.bin`;
  const r = await put(rel, Buffer.alloc(LIMIT + 1), 'application/octet-stream');
  expect(r.status).toBe(400);
  expect((await r.json()).message).toMatch(/ANALYST_MAX_ARTIFACT_BYTES/);
  expect(readdirSync(path.join(root, `1/${run}/artifacts`))).not.toContain('big.bin');
  expect(readdirSync(path.join(root, `1/${run}/artifacts`)).filter((f) => f.startsWith('.upload-'))).toEqual([]);
});

it("shows a run's files, models and datasets in the service's API, and serves a figure as an image", async () => {
  const base = `1/${run}/artifacts`;
  await mlflow('/runs/log-inputs', {
    run_id: run,
    datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'toy', digest: 'abc123', source_type: 'code', source: '{}' } }],
  });
  await mlflow('/runs/log-model', { run_id: run, model_json: JSON.stringify({ run_id: run, artifact_path: 'add_one', flavors: { python_function: {} } }) });
  const model = (await mlflow('/logged-models', { experiment_id: '1', name: 'logreg', source_run_id: run })).body.model.info;
  expect(model).toMatchObject({ name: 'logreg', status: 'LOGGED_MODEL_PENDING', artifact_uri: `mlflow-artifacts:/1/models/${model.model_id}/artifacts` });
  await put(`1/models/${model.model_id}/artifacts/MLmodel`, 'artifact_path: x\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    code: null\nmodel_id: m\n');
  expect((await api(`${s.url}/api/2.0/mlflow`, `/logged-models/${model.model_id}`, { method: 'PATCH', json: { status: 'LOGGED_MODEL_READY' } })).body.model.info.status).toBe('LOGGED_MODEL_READY');
  await mlflow('/runs/outputs', { run_id: run, models: [{ model_id: model.model_id, step: 0 }] });
  const got = (await mlflow(`/runs/get?run_id=${run}`)).body.run;
  expect(got.inputs.dataset_inputs.map((d: any) => d.dataset.name)).toEqual(['toy']);
  expect(got.outputs.model_outputs).toEqual([{ model_id: model.model_id, step: 0 }]);
  const found = await mlflow('/logged-models/search', { experiment_ids: ['1'], filter: "name = 'logreg'" });
  expect(found.body.models.map((m: any) => m.info.model_id)).toEqual([model.model_id]);
  expect((await mlflow('/logged-models/search', { experiment_ids: ['1'], filter: "name = 'config'" })).body).toEqual({});

  const mine = await api(s.url, `/runs/${run}/artifacts`);
  expect(mine.body.files).toEqual([
    { path: 'config/config.json', size: 12 },
    { path: 'plots/loss.png', size: PNG.length },
  ]);
  expect(mine.body.models).toEqual([
    { name: 'add_one', artifact_path: 'add_one', flavors: ['python_function'] },
    { name: 'logreg', model_id: model.model_id, artifact_path: `1/models/${model.model_id}/artifacts`, flavors: ['python_function', 'sklearn'] },
  ]);
  expect(mine.body.datasets).toEqual([{ name: 'toy', digest: 'abc123', source_type: 'code', source: '{}', context: 'training' }]);
  const figure = await fetch(`${s.url}/runs/${run}/artifacts/plots/loss.png`);
  expect([figure.status, figure.headers.get('content-type')]).toEqual([200, 'image/png']);
  expect([400, 404]).toContain((await raw('GET', `/runs/${run}/artifacts/%2E%2E/%2E%2E/%2E%2E/analyst.db`)).status);
  expect((await raw('GET', `/runs/${run}/artifacts/a%5C..%5C..%5C..%5Canalyst.db`)).status).toBe(400);
  expect((await api(s.url, `/runs/${run}/artifacts/none.png`)).status).toBe(404);
  expect(readFileSync(path.join(root, base, 'config/config.json'), 'utf8')).toBe('{"lr": 0.01}');
});
