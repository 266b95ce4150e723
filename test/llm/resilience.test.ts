// Circuit breaker, usage caps across restarts, shared in-flight calls, the automatic refresh limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { CircuitBreaker } from '../../src/llm/breaker.ts';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { UsageMeter } from '../../src/llm/usage.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { loadGenerated, makeAnalyst, tempDbPath } from '../analyst/fixture.ts';
import type { WireServer } from './wire/common.ts';
import { startOpenAIServer } from './wire/openai-server.ts';

describe('circuit breaker', () => {
  it('opens after the threshold, lets one trial through after the cooldown, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker(3, 1000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(b.blocked()).toBeUndefined();
      b.failure();
    }
    expect(b.state).toBe('open');
    expect(b.blocked()).toMatch(/circuit open after 3 failures in a row; next try in 1 s/);
    now = 1000;
    expect(b.blocked()).toBeUndefined(); // the trial
    expect(b.blocked()).toMatch(/half-open/);
    b.failure();
    expect(b.blocked()).toMatch(/circuit open/);
    now = 2000;
    expect(b.blocked()).toBeUndefined();
    b.success();
    expect(b.state).toBe('closed');
    expect(b.blocked()).toBeUndefined();
  });
});

describe('usage caps survive a restart', () => {
  it('counts today\'s OpenAI tokens and cost from the SQLite file', async () => {
    const file = tempDbPath();
    const store = new SqliteStore(file);
    const cfg = loadLlmConfig({ ANALYST_LLM_MAX_COST_PER_DAY: '0.001' });
    const meter = new UsageMeter(cfg, store.usage);
    const cost = await meter.record('openai', 'gpt-4o', { prompt_tokens: 300, completion_tokens: 50 }, 10, false);
    expect(cost).toBeCloseTo((300 * 2.5 + 50 * 10) / 1e6, 12);
    expect(await meter.overCap()).toBeDefined();
    await store.close();
    const reopenedStore = new SqliteStore(file);
    const reopened = new UsageMeter(cfg, reopenedStore.usage);
    expect(await reopened.overCap()).toMatch(/daily cost cap reached \(\$0\.0013 of \$0\.001 today/);
    // An unpriced model's cost is unknown, not zero: counted apart.
    await reopened.record('openai', 'my-vllm-model', { prompt_tokens: 10, completion_tokens: 10 }, 5, false);
    const row = (await reopened.report()).today.by_model.find((r) => r.model === 'my-vllm-model')!;
    await reopenedStore.close();
    expect(row.unpriced_calls).toBe(1);
  });
});

describe('sharing and limiting model calls', () => {
  let server: WireServer;
  const source = new MemorySource();
  beforeAll(async () => {
    server = await startOpenAIServer();
    await loadGenerated(source, 'iris-s1-overfit');
  });
  afterAll(() => server.close());

  const env = () => ({ ANALYST_LLM: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${server.url}/v1`, OPENAI_MODEL: 'gpt-4o-mini', ANALYST_LLM_TIMEOUT_MS: '2000' });

  it('identical concurrent analyses make one model call', async () => {
    server.requests.length = 0;
    const { analyst } = await makeAnalyst(env(), source);
    const results = await Promise.all(Array.from({ length: 5 }, () => analyst.analyze({ run: 'iris-s1-overfit', kind: 'analysis' })));
    expect(server.requests).toHaveLength(1);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
  });

  it('automatic analyses run at most once per interval per run, even when the data changed', async () => {
    server.requests.length = 0;
    const local = new MemorySource();
    await loadGenerated(local, 'iris-s1-overfit');
    const { analyst } = await makeAnalyst({ ...env(), ANALYST_AUTO_REFRESH_MS: '60000' }, local);
    const first = await analyst.analyze({ run: 'iris-s1-overfit', kind: 'analysis' }, { auto: true });
    local.add('iris-s1-overfit', [{ type: 'metrics', step: 999_999, values: { val_loss: 3 } }]);
    const second = await analyst.analyze({ run: 'iris-s1-overfit', kind: 'analysis' }, { auto: true });
    expect(server.requests).toHaveLength(1);
    expect(second).toMatchObject({ cached: true, text: first.text });
    // A person asking is not limited: the new data gets a new answer.
    const asked = await analyst.analyze({ run: 'iris-s1-overfit', kind: 'analysis' });
    expect(asked.cached).toBe(false);
    expect(server.requests).toHaveLength(2);
  });
});
