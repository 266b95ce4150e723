// Proof that an unchanged MLflow Python client works here: every request the real client (2.22 and
// 3.6) sent to a real MLflow server, replayed against this service, gets an answer carrying what
// the client reads from the real one. The transcripts and how they were taken are described in
// DATASETS/mlflow-client/README.md.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATASETS } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const DIR = path.join(DATASETS, 'mlflow-client');

interface Exchange {
  method: string;
  path: string;
  query: string;
  request_headers: Record<string, string>;
  request_body: string;
  request_body_encoding?: 'base64';
  status: number;
  response_body: string;
  response_body_encoding?: 'base64';
}

/**
 * Values that legitimately differ between two servers: clocks (the replay runs later than the
 * recording) and free-text error messages. Ids differ too; they are translated, not skipped.
 */
const UNCOMPARED = new Set(['start_time', 'end_time', 'creation_time', 'last_update_time', 'timestamp', 'creation_timestamp_ms', 'last_updated_timestamp_ms', 'message']);

/** MLflow's SQL store keeps ±inf as ±DBL_MAX; this service keeps them infinite, as logged, and the client reads both as numbers. */
const number = (v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 1.7976931348623157e308 ? Infinity : v === -1.7976931348623157e308 ? -Infinity : v);

const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * Every field the real answer has, ours has with the same type and (ids translated) the same
 * value; fields ours adds are ignored, as the client ignores them. An empty list or object the
 * real server sent may be absent: the client reads absent as empty. Lists of `{key, ...}` with
 * unique keys are compared by key (their order carries no meaning); other lists by position.
 */
function differences(real: unknown, ours: unknown, where: string, out: string[]): void {
  const field = where.split('.').at(-1)!.replace(/\[.*$/, '');
  if (UNCOMPARED.has(field)) {
    if (typeof real !== typeof ours && typeof number(real) !== typeof number(ours)) out.push(`${where}: ${typeof real} expected, got ${typeof ours}`);
    return;
  }
  if (Array.isArray(real)) {
    if (!Array.isArray(ours)) return void out.push(`${where}: a list expected, got ${JSON.stringify(ours)?.slice(0, 80)}`);
    if (real.length !== ours.length) return void out.push(`${where}: ${real.length} items expected, got ${ours.length}`);
    const keys = real.map((x) => (x && typeof x === 'object' && 'key' in x ? (x as { key: string }).key : undefined));
    if (keys.every((k) => k !== undefined) && new Set(keys).size === keys.length) {
      for (const [i, k] of keys.entries()) differences(real[i], ours.find((o: any) => o?.key === k), `${where}[${k}]`, out);
    } else {
      for (const [i, x] of real.entries()) differences(x, ours[i], `${where}[${i}]`, out);
    }
    return;
  }
  if (real && typeof real === 'object') {
    if (!ours || typeof ours !== 'object') return void out.push(`${where}: an object expected, got ${JSON.stringify(ours)?.slice(0, 80)}`);
    for (const [k, v] of Object.entries(real)) {
      if (!(k in ours)) {
        if (!isEmpty(v)) out.push(`${where}.${k}: missing`);
        continue;
      }
      differences(v, (ours as Record<string, unknown>)[k], `${where}.${k}`, out);
    }
    return;
  }
  if (!Object.is(number(real), number(ours))) out.push(`${where}: ${JSON.stringify(real)} expected, got ${JSON.stringify(ours)}`);
}

/** Real ids → ours, learnt from the answers that create them, applied to later requests and expected answers. */
class Ids {
  private readonly map = new Map<string, string>();
  learn(real: string | undefined, ours: string | undefined): void {
    if (real && ours && real !== ours) this.map.set(real, ours);
  }
  translate(text: string): string {
    for (const [real, ours] of this.map) text = text.split(real).join(ours);
    return text;
  }
}

const transcripts = readdirSync(DIR)
  .filter((f) => /^\w+\.mlflow-[\d.]+\.jsonl$/.test(f))
  .sort();

const HEALTHY = new Set(['basic', 'artifacts', 'models_inputs', 'nested', 'search', 'async', 'system_metrics']);

describe('MLflow client transcripts replayed', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await testServer();
  });
  afterEach(async () => s.stop());

  it('holds every scenario for both client versions', () => {
    expect(transcripts).toHaveLength(16);
  });

  it.each(transcripts)('%s', async (file) => {
    const exchanges = readFileSync(path.join(DIR, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Exchange);
    const ids = new Ids();
    const problems: string[] = [];
    for (const [n, x] of exchanges.entries()) {
      const line = `line ${n + 1}: ${x.method} ${x.path}`;
      const headers = new Headers({ 'user-agent': x.request_headers['user-agent'] ?? '' });
      if (x.request_headers['content-type']) headers.set('content-type', x.request_headers['content-type']);
      const body = x.method === 'GET' ? undefined : x.request_body_encoding === 'base64' ? Buffer.from(x.request_body, 'base64') : ids.translate(x.request_body);
      const url = `${s.url}${ids.translate(x.path)}${x.query ? `?${ids.translate(x.query)}` : ''}`;
      const res = await fetch(url, { method: x.method, headers, body });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== x.status) {
        problems.push(`${line}: status ${x.status} expected, got ${res.status} ${bytes.toString('utf8').slice(0, 200)}`);
        continue;
      }
      if (x.response_body_encoding === 'base64') {
        // A text file was uploaded with its ids translated (an MLmodel names its run and model), so it downloads so too.
        const recorded = Buffer.from(x.response_body, 'base64');
        const text = recorded.toString('utf8');
        const expected = Buffer.from(text, 'utf8').equals(recorded) ? Buffer.from(ids.translate(text), 'utf8') : recorded;
        if (!bytes.equals(expected)) problems.push(`${line}: downloaded bytes differ`);
        continue;
      }
      const ours = bytes.length ? JSON.parse(bytes.toString('utf8')) : {};
      const real = JSON.parse(x.response_body || '{}');
      ids.learn(real.run?.info?.run_id, ours.run?.info?.run_id);
      ids.learn(real.experiment_id, ours.experiment_id);
      ids.learn(real.model?.info?.model_id, ours.model?.info?.model_id);
      const out: string[] = [];
      differences(JSON.parse(ids.translate(JSON.stringify(real))), ours, '', out);
      problems.push(...out.map((d) => `${line}: ${d}`));
    }
    expect(problems).toEqual([]);

    // What the service made of it: a healthy scenario's runs all end completed, with no run.failed alert.
    const scenario = file.split('.')[0]!;
    const { body } = await api(s.url, '/runs?archived=true&limit=1000');
    const statuses = body.runs.map((r: any) => `${r.name}: ${r.status}`).sort();
    const alerts = (await api(s.url, '/alerts?after=0')).body.alerts.map((a: any) => `${a.type} ${a.run?.name ?? ''}`.trim());
    if (HEALTHY.has(scenario)) {
      expect(body.runs.length).toBeGreaterThan(0);
      expect(statuses).toEqual(body.runs.map((r: any) => `${r.name}: completed`).sort());
      expect(alerts.filter((a: string) => a.startsWith('run.failed'))).toEqual([]);
      expect(alerts.filter((a: string) => a.startsWith('run.finished'))).toHaveLength(body.runs.length);
    } else {
      expect(statuses).toEqual(['crashing-run: failed', 'killed-run: stopped']);
      expect(alerts.filter((a: string) => a.startsWith('run.failed'))).toEqual(['run.failed crashing-run']);
    }
  });
});
