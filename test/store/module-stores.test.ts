// The stores of the modules that keep tables, the same on both engines; on PostgreSQL, what
// replicas do at once to one row is added up, or decided once, never lost.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackedSuggestion } from '../../src/domain/analysis-request.ts';
import type { WebhookWithSecret } from '../../src/store/webhooks.ts';
import type { Store } from '../../src/store/store.ts';
import type { OpenEngine } from '../helpers/module-engines.ts';
import { ENGINES, PG_DOWN, openEngine, titled } from '../helpers/module-engines.ts';

function webhook(id: string, over: Partial<WebhookWithSecret> = {}): WebhookWithSecret {
  return {
    id,
    url: `https://hooks.example.com/${id}`,
    secret: 'secret-0123456789abcdef',
    min_severity: 'warning',
    kinds: ['nan_loss', 'run.stalled'],
    projects: null,
    format: 'auto',
    include_analysis: true,
    source: 'api',
    created_at: 100,
    ...over,
  };
}

type NewSuggestion = Omit<TrackedSuggestion, 'status' | 'created_at' | 'updated_at' | 'outcome'>;

function suggestion(id: string, over: Partial<NewSuggestion> = {}): NewSuggestion {
  return {
    id,
    run: 'run-a',
    project: 'p',
    kind: 'tuning',
    parameter: 'lr',
    current: 0.5,
    proposed: 0.05,
    rationale: 'loss grew 40x over its best value',
    expected_effect: 'loss falls steadily',
    confidence: 0.8,
    ...over,
  };
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== undefined)(titled(`module stores on ${engine.name}`, engine.skip), () => {
    let open: OpenEngine;
    let s: Store;
    beforeEach(async () => {
      open = await openEngine(engine.name);
      s = open.store;
    });
    afterEach(() => open.close());

    describe('webhooks', () => {
      it('puts, replaces by id, lists in creation order and deletes', async () => {
        await s.webhooks.put(webhook('w2', { created_at: 200 }));
        await s.webhooks.put(webhook('w1', { include_analysis: false, kinds: null, projects: ['vision'] }));
        expect(ids(await s.webhooks.list())).toEqual(['w1', 'w2']);
        expect(await s.webhooks.get('w1')).toEqual(webhook('w1', { include_analysis: false, kinds: null, projects: ['vision'] }));
        await s.webhooks.put(webhook('w1', { url: 'https://hooks.example.com/moved', source: 'env' }));
        expect(await s.webhooks.get('w1')).toMatchObject({ url: 'https://hooks.example.com/moved', source: 'env', include_analysis: true });
        expect(await s.webhooks.delete('w1')).toBe(true);
        expect(await s.webhooks.delete('w1')).toBe(false);
        expect(ids(await s.webhooks.list())).toEqual(['w2']);
        expect(await s.webhooks.get('w1')).toBeUndefined();
      });
    });

    describe('usage', () => {
      it('adds to a day’s counters per provider and model, and reads a day or the days from one', async () => {
        await s.usage.add('2026-01-02', 'openai', 'gpt', { calls: 1, prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.25 });
        await s.usage.add('2026-01-02', 'openai', 'gpt', { calls: 1, prompt_tokens: 50, cost_usd: 0.5, cache_hits: 1 });
        await s.usage.add('2026-01-02', 'ollama', 'llama', { calls: 1, unpriced_calls: 1, degraded: 1 });
        await s.usage.add('2026-01-01', 'openai', 'gpt', { calls: 3 });
        await s.usage.add('2026-01-03', 'openai', 'gpt', { calls: 4 });
        expect(await s.usage.day('2026-01-02')).toEqual([
          { day: '2026-01-02', provider: 'ollama', model: 'llama', calls: 1, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, unpriced_calls: 1, degraded: 1, cache_hits: 0 },
          { day: '2026-01-02', provider: 'openai', model: 'gpt', calls: 2, prompt_tokens: 150, completion_tokens: 20, cost_usd: 0.75, unpriced_calls: 0, degraded: 0, cache_hits: 1 },
        ]);
        const from = await s.usage.from('2026-01-02');
        expect(from.map((r) => `${r.day} ${r.provider}`)).toEqual(['2026-01-03 openai', '2026-01-02 ollama', '2026-01-02 openai']);
      });
    });

    describe('suggestions', () => {
      it('proposed again, refreshes its wording and keeps its status and outcome', async () => {
        await s.suggestions.upsert(suggestion('s1'), 100);
        expect(await s.suggestions.setStatus('s1', 'accepted', 150)).toBe(true);
        const outcome = { applied_run: 'run-b', metric: 'val_loss', source_value: 2, applied_value: 1, improved: true, recorded_at: 160 };
        await s.suggestions.setOutcome('s1', outcome, 160);
        await s.suggestions.upsert(suggestion('s1', { rationale: 'loss grew 80x', confidence: 0.9, current: 1 }), 200);
        expect(await s.suggestions.get('s1')).toEqual({
          ...suggestion('s1', { rationale: 'loss grew 80x', confidence: 0.9 }),
          status: 'accepted',
          created_at: 100,
          updated_at: 200,
          outcome,
        });
        expect(await s.suggestions.setStatus('missing', 'rejected', 1)).toBe(false);
        expect(await s.suggestions.get('missing')).toBeUndefined();
      });

      it('lists a run’s suggestions by creation, and those still waiting for a later run', async () => {
        await s.suggestions.upsert(suggestion('s2', { proposed: 'adamw', parameter: 'optimizer' }), 200);
        await s.suggestions.upsert(suggestion('s1', { proposed: null }), 100);
        await s.suggestions.upsert(suggestion('s3', { proposed: true }), 300);
        await s.suggestions.upsert(suggestion('other', { run: 'run-b' }), 100);
        await s.suggestions.setStatus('s2', 'rejected', 400);
        await s.suggestions.setOutcome('s3', { applied_run: 'r', metric: 'val_loss', source_value: null, applied_value: null, improved: null, recorded_at: 1 }, 400);
        const byRun = await s.suggestions.byRun('run-a');
        expect(ids(byRun)).toEqual(['s1', 's2', 's3']);
        expect(byRun.map((x) => x.proposed)).toEqual([null, 'adamw', true]);
        expect(ids(await s.suggestions.pending('run-a'))).toEqual(['s1']);
      });
    });

    describe('sources', () => {
      const input = (id: string, run = 'run-a', created_at = 100) => ({
        id,
        url: 'https://trainer.example.com/stream',
        run,
        headers: { authorization: 'Bearer t' },
        mapping: { events: { progress: 'json' as const, heartbeat: 'ignore' as const } },
        created_at,
      });

      it('inserts a connecting source, finds it by URL and run, and keeps what it read', async () => {
        const created = await s.sources.insert(input('src1'));
        expect(created).toEqual({
          ...input('src1'),
          state: 'connecting',
          last_event_id: null,
          last_event_at: null,
          events: 0,
          not_read: {},
          last_error: null,
          last_error_at: null,
          retry_ms: null,
        });
        expect(await s.sources.find('https://trainer.example.com/stream', 'run-a')).toEqual(created);
        expect(await s.sources.find('https://trainer.example.com/stream', 'run-b')).toBeUndefined();
        await s.sources.setState('src1', 'open');
        await s.sources.received('src1', 'ev-7', 3, 500);
        await s.sources.received('src1', null, 2, 600);
        await s.sources.notRead('src1', new Map([['status', 2], ['heartbeat', 1]]));
        await s.sources.notRead('src1', new Map([['status', 3]]));
        await s.sources.error('src1', 'upstream closed', 700);
        await s.sources.setRetry('src1', 2_500);
        expect(await s.sources.get('src1')).toMatchObject({
          state: 'open',
          last_event_id: 'ev-7',
          last_event_at: 600,
          events: 5,
          not_read: { heartbeat: 1, status: 5 },
          last_error: 'upstream closed',
          last_error_at: 700,
          retry_ms: 2_500,
        });
      });

      it('lists sources in creation order and removes one with what it left unread', async () => {
        await s.sources.insert(input('src2', 'run-b', 200));
        await s.sources.insert(input('src1', 'run-a', 100));
        await s.sources.notRead('src1', new Map([['status', 1]]));
        expect(ids(await s.sources.all())).toEqual(['src1', 'src2']);
        expect(await s.sources.remove('src1')).toBe(true);
        expect(await s.sources.remove('src1')).toBe(false);
        expect(ids(await s.sources.all())).toEqual(['src2']);
        // A source made again under the old id starts with nothing unread.
        expect((await s.sources.insert(input('src1', 'run-c'))).not_read).toEqual({});
      });
    });

    describe('control', () => {
      const request = (id: string, seq: number, requested_at = 100) => ({ id, run: 'run-a', action: 'pause' as const, reason: null, requested_at, seq });

      it('keeps requests pending until acknowledged, and the first outcome stands', async () => {
        await s.control.insert(request('c2', 2, 100));
        await s.control.insert(request('c1', 1, 100));
        await s.control.insert({ ...request('c3', 3, 50), action: 'stop', reason: 'diverged' });
        await s.control.markDelivered('c1', 150);
        expect(ids(await s.control.list('run-a'))).toEqual(['c3', 'c1', 'c2']);
        expect(ids(await s.control.list('run-a', 1))).toEqual(['c3']);
        expect(ids(await s.control.pending('run-a'))).toEqual(['c1', 'c2', 'c3']);
        expect(await s.control.ack('c1', 'done', null, 200)).toBe(true);
        expect(await s.control.ack('c1', 'failed', 'too late', 300)).toBe(false);
        expect(await s.control.get('c1')).toEqual({ ...request('c1', 1), delivered_at: 150, acked_at: 200, outcome: 'done', message: null });
        expect(await s.control.get('c3')).toMatchObject({ action: 'stop', reason: 'diverged', outcome: null });
        expect(ids(await s.control.pending('run-a'))).toEqual(['c2', 'c3']);
        expect(await s.control.get('missing')).toBeUndefined();
      });
    });

    describe('experiments', () => {
      it('creates experiments numbered from 1 beside the Default one at 0, with their artifact location', async () => {
        const first = await s.experiments.create('vision', undefined, 100);
        const dflt = await s.experiments.create('Default', undefined, 110, 0);
        const placed = await s.experiments.create('audio', 's3://bucket/audio', 120);
        expect(first).toEqual({
          experiment_id: '1',
          name: 'vision',
          artifact_location: 'mlflow-artifacts:/1',
          lifecycle_stage: 'active',
          tags: {},
          creation_time: 100,
          last_update_time: 100,
        });
        expect(dflt).toMatchObject({ experiment_id: '0', artifact_location: 'mlflow-artifacts:/0' });
        expect(placed).toMatchObject({ experiment_id: '2', artifact_location: 's3://bucket/audio' });
        expect((await s.experiments.list()).map((e) => e.name)).toEqual(['Default', 'vision', 'audio']);
        expect(await s.experiments.get('2')).toEqual(placed);
        expect(await s.experiments.byName('vision')).toEqual(first);
        expect(await s.experiments.get('vision')).toBeUndefined();
        expect(await s.experiments.get('9')).toBeUndefined();
        await expect(s.experiments.create('vision', undefined, 130)).rejects.toThrow();
      });

      it('renames an experiment with its project, so its runs stay its runs', async () => {
        const e = await s.experiments.create('vision', undefined, 100);
        await open.addRun('r1', 'vision');
        await open.addRun('r2', 'audio');
        await s.experiments.rename(e.experiment_id, 'vision-v2', 200);
        expect(await s.experiments.get(e.experiment_id)).toMatchObject({ name: 'vision-v2', last_update_time: 200 });
        expect((await s.getRun('r1'))?.project).toBe('vision-v2');
        expect((await s.getRun('r2'))?.project).toBe('audio');
        await s.experiments.rename('42', 'nothing', 300);
        expect(await s.experiments.byName('nothing')).toBeUndefined();
      });

      it('sets its stage and adds tags, keeping the others', async () => {
        const e = await s.experiments.create('vision', undefined, 100);
        await s.experiments.setTag(e.experiment_id, 'team', 'perception', 200);
        await s.experiments.setTag(e.experiment_id, 'owner', 'ana', 210);
        await s.experiments.setTag(e.experiment_id, 'team', 'robotics', 220);
        await s.experiments.setStage(e.experiment_id, 'deleted', 300);
        expect(await s.experiments.get(e.experiment_id)).toMatchObject({
          tags: { team: 'robotics', owner: 'ana' },
          lifecycle_stage: 'deleted',
          last_update_time: 300,
        });
      });
    });

    describe('logged models', () => {
      it('creates pending models with MLflow’s ids, finds them by experiment and by run, and sets their status', async () => {
        const tags = [{ key: 'flavor', value: 'pytorch' }];
        const params = [{ key: 'lr', value: '0.01' }];
        const m1 = await s.loggedModels.create({ experiment_id: '1', name: 'net', source_run_id: 'run-a', tags, params }, 100);
        const m2 = await s.loggedModels.create({ experiment_id: '2', name: 'net2', model_type: 'agent', tags: [], params: [] }, 200);
        await s.loggedModels.create({ experiment_id: '3', name: 'other', tags: [], params: [] }, 300);
        expect(m1).toEqual({
          model_id: m1.model_id,
          experiment_id: '1',
          name: 'net',
          source_run_id: 'run-a',
          status: 'LOGGED_MODEL_PENDING',
          model_type: '',
          tags,
          params,
          creation_timestamp_ms: 100,
          last_updated_timestamp_ms: 100,
        });
        expect(m1.model_id).toMatch(/^m-[0-9a-f]{32}$/);
        expect(m2).not.toHaveProperty('source_run_id');
        await s.loggedModels.setStatus(m1.model_id, 'LOGGED_MODEL_READY', 400);
        expect(await s.loggedModels.get(m1.model_id)).toEqual({ ...m1, status: 'LOGGED_MODEL_READY', last_updated_timestamp_ms: 400 });
        expect((await s.loggedModels.inExperiments(['1', '2'])).map((m) => m.name)).toEqual(['net2', 'net']);
        expect(await s.loggedModels.inExperiments([])).toEqual([]);
        expect((await s.loggedModels.ofRun('run-a')).map((m) => m.name)).toEqual(['net']);
        expect(await s.loggedModels.get('m-missing')).toBeUndefined();
      });
    });

    describe('MLflow metrics', () => {
      it('reads a history by step, then time, and the latest value at the highest step, then the newest time', async () => {
        await open.addRun('run-a', 'p');
        await open.addRun('run-b', 'p');
        await open.log('run-a', 'loss', [
          { step: 2, value: 0.5, ts: 300 },
          { step: 1, value: 0.9, ts: 100 },
          { step: 2, value: 0.4, ts: 350 },
          { value: NaN, ts: 50 },
        ]);
        await open.log('run-a', 'acc', [{ step: 1, value: 0.7, ts: 100 }]);
        await open.log('run-b', 'loss', [{ step: 9, value: 9, ts: 900 }]);
        const history = await s.mlflowMetrics.history('run-a', 'loss');
        expect(history.map((p) => [p.step, p.timestamp])).toEqual([[0, 50], [1, 100], [2, 300], [2, 350]]);
        expect(history[0]!.value).toBeNaN();
        expect(await s.mlflowMetrics.latest('run-a')).toEqual([
          { key: 'acc', value: 0.7, timestamp: 100, step: 1 },
          { key: 'loss', value: 0.4, timestamp: 350, step: 2 },
        ]);
        expect(await s.mlflowMetrics.history('run-a', 'missing')).toEqual([]);
      });
    });
  });
}

describe.skipIf(PG_DOWN !== undefined)(titled('module stores across PostgreSQL replicas', PG_DOWN), () => {
  let open: OpenEngine;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    open = await openEngine('postgres');
    a = open.store;
    b = await open.replica!();
  });
  afterEach(() => open.close());

  it('adds usage from every replica at once to the same day, so a daily cap counts them all', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).usage.add('2026-01-02', 'openai', 'gpt', { calls: 1, prompt_tokens: 10, cost_usd: 0.25 })));
    expect(await a.usage.day('2026-01-02')).toMatchObject([{ calls: 40, prompt_tokens: 400, cost_usd: 10 }]);
  });

  it('sees a subscription another replica made or removed', async () => {
    expect(await a.webhooks.list()).toEqual([]);
    await b.webhooks.put(webhook('w1'));
    expect(ids(await a.webhooks.list())).toEqual(['w1']);
    await b.webhooks.delete('w1');
    expect(await a.webhooks.list()).toEqual([]);
  });

  it('takes one acknowledgement of a control request, whichever replicas receive it', async () => {
    await a.control.insert({ id: 'c1', run: 'run-a', action: 'stop', reason: null, requested_at: 1, seq: 1 });
    const acks = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).control.ack('c1', i % 3 ? 'done' : 'failed', `replica ${i}`, 10 + i)));
    expect(acks.filter(Boolean)).toHaveLength(1);
    const first = acks.indexOf(true);
    expect(await a.control.get('c1')).toMatchObject({ acked_at: 10 + first, message: `replica ${first}` });
  });

  it('keeps every tag two replicas set at once on one experiment', async () => {
    const e = await a.experiments.create('vision', undefined, 100);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).experiments.setTag(e.experiment_id, `k${i}`, `v${i}`, 200 + i)));
    expect(Object.keys((await a.experiments.get(e.experiment_id))!.tags).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
  });

  it('counts frames left unread that replicas report at once', async () => {
    await a.sources.insert({ id: 'src1', url: 'https://t.example.com/s', run: 'run-a', headers: {}, mapping: {}, created_at: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).sources.notRead('src1', new Map([['status', 1]]))));
    expect((await a.sources.get('src1'))!.not_read).toEqual({ status: 10 });
  });

  it('subscribes an upstream once per run, however many replicas are asked at the same moment', async () => {
    const tries = await Promise.allSettled(
      ['src1', 'src2', 'src3', 'src4'].map((id, i) => (i % 2 ? a : b).sources.insert({ id, url: 'https://t.example.com/s', run: 'run-a', headers: {}, mapping: {}, created_at: 1 })),
    );
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    expect(await a.sources.all()).toHaveLength(1);
  });
});
