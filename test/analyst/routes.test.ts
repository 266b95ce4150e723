// The analyst HTTP routes on a real server: analyze, SSE and JSON chat, suggestion tracking, usage.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createParser } from 'eventsource-parser';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analyst } from '../../src/analyst/analyst.ts';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { errorResponse } from '../../src/http/errors.ts';
import { analystRoutes } from '../../src/http/routes/analyst.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { GENERATED, makeAnalyst } from './fixture.ts';

let server: ServerType;
let base: string;
let analyst: Analyst;
let registry: Registry;
const source = new MemorySource();
const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');

async function events(name: string) {
  return (await importFile(`${GENERATED}/${name}.jsonl`)).events;
}

/** A finished run of the project with this config, its curves taken from a generated run. */
async function addRun(id: string, file: string, project: string, config: Record<string, unknown>, created: number, parent_run?: string) {
  source.add(id, [{ type: 'run_started', name: id, project, config, ...(parent_run ? { parent_run } : {}) }, ...(await events(file))], created);
  source.finish(id);
}

beforeAll(async () => {
  await addRun('slow', 'digits-s1-lr-too-low', 'tune', { lr: 1e-5, epochs: 60 }, T0);
  await addRun('overfit', 'digits-s1-overfit', 'reg', { lr: 0.001, weight_decay: 0 }, T0);
  ({ analyst, registry } = await makeAnalyst({}, source));
  const app = new Hono();
  app.onError((err, c) => errorResponse(err, c, silent));
  app.route('/', analystRoutes({ analyst }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function post(path: string, body: unknown, accept = 'application/json') {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function sse(body: unknown): Promise<Array<{ event?: string; data: any }>> {
  const res = await fetch(`${base}/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const out: Array<{ event?: string; data: any }> = [];
  const parser = createParser({ onEvent: (e) => out.push({ event: e.event, data: JSON.parse(e.data) }) });
  parser.feed(await res.text());
  return out;
}

describe('POST /analyze', () => {
  it('answers with text, suggestions, findings, provider, usage and latency', async () => {
    const { status, body } = await post('/analyze', { run: 'slow', kind: 'tuning' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ run: 'slow', kind: 'tuning', provider: 'offline', model: 'narrator-1', cached: false, degraded: false });
    expect(body.text).toMatch(/learning rate too low/);
    expect(body.suggestions[0]).toMatchObject({ parameter: 'lr', current: 1e-5, proposed: 1e-4 });
    expect(body.findings.map((f: { kind: string }) => f.kind)).toContain('lr_too_low');
    expect(body.usage).toMatchObject({ cost_usd: 0 });
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(typeof body.latency_ms).toBe('number');
    const again = await post('/analyze', { run: 'slow', kind: 'tuning' });
    expect(again.body.cached).toBe(true);
  });

  it('rejects a bad body with the path of each problem, and an unknown run with 404', async () => {
    const bad = await post('/analyze', { run: '', kind: 'poem', provider: 'gpt' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_body');
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['kind', 'provider', 'run']);
    const missing = await post('/analyze', { run: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not_found', message: 'run nope not found' });
    const unconfigured = await post('/analyze', { run: 'slow', provider: 'openai' });
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body.error.message).toMatch(/OPENAI_API_KEY/);
  });
});

describe('POST /chat', () => {
  it('streams token events and a done event with the whole message; the conversation carries on', async () => {
    const first = await sse({ run: 'overfit', message: 'Is it overfitting?' });
    const tokens = first.filter((e) => e.event === 'token').map((e) => e.data.text);
    const done = first.at(-1)!;
    expect(tokens.length).toBeGreaterThan(10);
    expect(done.event).toBe('done');
    expect(done.data.message).toBe(tokens.join(''));
    expect(done.data.message).toMatch(/^Yes\. overfitting/);
    expect(done.data).toMatchObject({ provider: 'offline', degraded: false, run: 'overfit' });
    const second = await sse({ run: 'overfit', message: 'What was the best epoch?', conversation: done.data.conversation });
    expect(second.at(-1)!.data.conversation).toBe(done.data.conversation);
    expect(second.at(-1)!.data.message).toMatch(/^Best val_loss: [\d.]+ at epoch \d+/);
    expect(analyst.parts.conversations.get('overfit', done.data.conversation)).toHaveLength(4);
  });

  it('answers quick actions, and once in JSON when asked for application/json', async () => {
    const { status, body } = await post('/chat', { run: 'slow', action: 'diagnose' });
    expect(status).toBe(200);
    expect(body.message).toMatch(/learning rate too low \(warning/);
    const actions = await (await fetch(`${base}/chat/actions`)).json();
    expect(actions.actions.map((a: { action: string }) => a.action)).toEqual(['analyze', 'tune', 'diagnose']);
  });

  it('rejects a chat with neither message nor action', async () => {
    const { status, body } = await post('/chat', { run: 'slow' });
    expect(status).toBe(400);
    expect(body.error.issues[0].path).toBe('message');
  });
});

describe('suggestions', () => {
  it('records accept / reject, and the outcome once a later run of the project applies one', async () => {
    const analysis = await post('/analyze', { run: 'slow', kind: 'tuning', question: 'what should change?' });
    const lr = analysis.body.suggestions.find((s: { parameter: string }) => s.parameter === 'lr');
    const accepted = await post(`/suggestions/${lr.id}`, { status: 'accepted' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: lr.id, status: 'accepted', outcome: null });
    // A later run of the same project with lr = 1e-4 (its curves: a healthy SGD run).
    await addRun('faster', 'digits-s1-healthy-sgd', 'tune', { lr: 0.0001, epochs: 60 }, T0 + 60_000);
    expect(await analyst.runFinished('faster')).toBe(1);
    const list = await (await fetch(`${base}/suggestions?run=slow`)).json();
    const tracked = list.suggestions.find((s: { id: string }) => s.id === lr.id);
    const before = (await source.context('slow')).get('val_loss')!.best;
    const after = (await source.context('faster')).get('val_loss')!.best;
    expect(tracked.outcome).toMatchObject({ applied_run: 'faster', metric: 'val_loss', source_value: before, applied_value: after, improved: after < before });
    expect(after).toBeLessThan(before);
  });

  it('follows lineage across projects (parent_run), and a string config value counts as applied', async () => {
    const analysis = await post('/analyze', { run: 'overfit', kind: 'tuning' });
    const wd = analysis.body.suggestions.find((s: { parameter: string }) => s.parameter === 'weight_decay');
    expect(wd).toMatchObject({ current: 0, proposed: 0.0001 });
    await addRun('overfit-2', 'digits-s2-overfit', 'other', { lr: '0.001', weight_decay: '1e-4' }, T0 + 1, 'overfit');
    const list = await (await fetch(`${base}/suggestions?run=overfit`)).json();
    const tracked = list.suggestions.find((s: { id: string }) => s.id === wd.id);
    expect(tracked.outcome.applied_run).toBe('overfit-2');
    expect(typeof tracked.outcome.improved).toBe('boolean');
    const rejected = list.suggestions.find((s: { parameter: string }) => s.parameter === 'dropout');
    expect((await post(`/suggestions/${rejected.id}`, { status: 'rejected' })).body.status).toBe('rejected');
  });

  it('404 for an unknown suggestion, 400 for a bad status or a missing run', async () => {
    expect((await post('/suggestions/nope', { status: 'accepted' })).status).toBe(404);
    const bad = await post('/suggestions/nope', { status: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('status');
    const res = await fetch(`${base}/suggestions`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('invalid_query');
  });
});

describe('usage', () => {
  it('GET /usage reports today by provider, and the counters are on the registry', async () => {
    const usage = await (await fetch(`${base}/usage`)).json();
    expect(usage.provider).toEqual({ name: 'offline', model: 'narrator-1', because: 'ANALYST_LLM=offline' });
    const offline = usage.today.by_model.find((r: { provider: string }) => r.provider === 'offline');
    expect(offline.calls).toBeGreaterThanOrEqual(6);
    expect(offline.cache_hits).toBeGreaterThanOrEqual(1);
    expect(usage.today.caps).toEqual({ tokens_per_day: null, cost_per_day_usd: null });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/analyst_llm_calls_total\{provider="offline",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/analyst_llm_cache_hits_total [1-9]/);
  });
});
