// The real `openai` client against an OpenAI wire server: json_schema, SSE chunks, failures, breaker, caps, cache.
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { loadGenerated, makeAnalyst } from '../analyst/fixture.ts';
import { startOpenAIServer } from './wire/openai-server.ts';
import { TIMEOUT, wireSuite } from './wire/suite.ts';

const RUN = 'digits-s1-overfit';
const suite = wireSuite(startOpenAIServer, RUN);

const env = (extra: Record<string, string> = {}) => ({
  ANALYST_LLM: 'openai',
  OPENAI_API_KEY: 'sk-test',
  OPENAI_BASE_URL: `${suite.server.url}/v1`,
  OPENAI_MODEL: 'gpt-4o-mini',
  ANALYST_LLM_TIMEOUT_MS: String(TIMEOUT),
  ...extra,
});

async function readAll(tokens: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of tokens) out.push(t);
  return out;
}

describe('OpenAI adapter against an OpenAI wire server', () => {
  it('asks for json_schema output and returns validated suggestions with usage and cost', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    const r = await analyst.analyze({ run: RUN, kind: 'tuning' });
    expect(r).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', degraded: false, cached: false });
    expect(r.text).toBe(suite.server.structured.text);
    expect(r.suggestions).toHaveLength(1);
    expect(r.suggestions[0]).toMatchObject({ parameter: 'weight_decay', proposed: 0.0001, confidence: 0.6 });
    expect(r.suggestions[0].id).toMatch(/^[0-9a-f]{16}$/);
    const body = suite.server.requests[0].body as { response_format: { type: string; json_schema: { name: string; schema: { properties: object; required: string[] }; strict: boolean } }; messages: Array<{ role: string; content: string }> };
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(Object.keys(body.response_format.json_schema.schema.properties)).toEqual(['text', 'suggestions']);
    // Strict mode accepts no length or range keywords: zod checks those on our side.
    expect(JSON.stringify(body.response_format.json_schema.schema)).not.toMatch(/minLength|maxLength|minimum|maximum|maxItems|\$schema/);
    expect(body.response_format.json_schema.schema.required).toEqual(['text', 'suggestions']);
    expect(body.messages[0].role).toBe('system');
    expect((suite.server.requests[0].body as { temperature?: number }).temperature).toBe(0.2);
    expect(body.messages[1].content).toContain('<run-data>');
    expect(r.usage.prompt_tokens).toBeGreaterThan(100);
    // gpt-4o-mini: $0.15 / 1M prompt tokens, $0.60 / 1M completion tokens.
    expect(r.usage.cost_usd).toBeCloseTo((r.usage.prompt_tokens * 0.15 + r.usage.completion_tokens * 0.6) / 1e6, 12);
  });

  it('sends no temperature to reasoning models, which refuse one', async () => {
    const { analyst } = await makeAnalyst(env({ OPENAI_MODEL: 'gpt-5-mini' }), suite.source);
    const r = await analyst.analyze({ run: RUN, kind: 'analysis', question: 'reasoning model' });
    expect(r.model).toBe('gpt-5-mini');
    expect(suite.server.requests[0].body).not.toHaveProperty('temperature');
    expect(r.usage.cost_usd).toBeCloseTo((r.usage.prompt_tokens * 0.25 + r.usage.completion_tokens * 2) / 1e6, 12);
  });

  it('streams chat tokens from SSE chunks and reports the final usage chunk', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    const session = await analyst.chat({ run: RUN, message: 'is it overfitting?' });
    const tokens = await readAll(session.tokens);
    const done = await session.done;
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toBe(suite.server.reply);
    expect(done).toMatchObject({ provider: 'openai', degraded: false, message: suite.server.reply });
    expect(done.usage.completion_tokens).toBe(tokens.length);
    expect(suite.server.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('retries a 429 and a 500 with back-off, then answers', async () => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_TIMEOUT_MS: '5000' }), suite.source);
    suite.server.queue = ['429', '500'];
    const r = await analyst.analyze({ run: RUN, kind: 'analysis' });
    expect(r.degraded).toBe(false);
    expect(suite.server.requests).toHaveLength(3);
  });

  it.each([
    ['500', /HTTP 500/],
    ['429', /HTTP 429/],
    ['hang', new RegExp(`no answer within ${TIMEOUT} ms`)],
    ['malformed', /openai failed: openai: .*JSON/],
  ] as const)('falls back to the offline narrator on %s', async (mode, reason) => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    suite.server.fallback = mode;
    const r = await analyst.analyze({ run: RUN, kind: 'troubleshoot' });
    expect(r.degraded).toBe(true);
    expect(r.provider).toBe('offline');
    expect(r.reason).toMatch(reason);
    expect(r.text).toMatch(/^\(Offline analysis: openai failed/);
    expect(r.text).toContain('overfitting');
  });

  it('repairs an answer that does not match the schema once', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    suite.server.queue = ['invalid', 'ok'];
    const r = await analyst.analyze({ run: RUN, kind: 'tuning', question: 'repair me' });
    expect(r.degraded).toBe(false);
    expect(r.suggestions).toHaveLength(1);
    expect(suite.server.requests).toHaveLength(2);
    const repair = suite.server.requests[1].body.messages as Array<{ role: string; content: string }>;
    expect(repair.at(-1)?.content).toMatch(/does not match the required JSON schema/);
    expect(repair.at(-2)?.role).toBe('assistant');
  });

  it('keeps the text only when the repaired answer is still invalid', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    suite.server.queue = ['notjson', 'notjson'];
    const r = await analyst.analyze({ run: RUN, kind: 'tuning', question: 'still broken' });
    expect(r.degraded).toBe(false);
    expect(r.suggestions).toEqual([]);
    expect(r.text).toBe('Sure! Here is my analysis: the run overfits.');
    expect(r.structured_error).toMatch(/not JSON/);
  });

  it('finishes a half-finished stream with the offline answer, flagged degraded', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    suite.server.fallback = 'half';
    const session = await analyst.chat({ run: RUN, message: 'is it overfitting?' });
    const text = (await readAll(session.tokens)).join('');
    const done = await session.done;
    expect(done.degraded).toBe(true);
    expect(done.reason).toMatch(/stream ended before the answer was finished/);
    expect(text.startsWith(suite.server.reply.slice(0, 10))).toBe(true);
    expect(text).toMatch(/the answer was cut off, the offline analyst's answer follows/);
    expect(text).toContain('overfitting');
    expect(done.message).toBe(text);
  });

  it('falls back on a hung stream when the timeout ends it', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    suite.server.fallback = 'hang';
    const session = await analyst.chat({ run: RUN, action: 'diagnose' });
    await readAll(session.tokens);
    const done = await session.done;
    // The stream never ends by itself: only the timeout can have ended it.
    expect(done).toMatchObject({ degraded: true, provider: 'offline' });
    expect(done.reason).toMatch(new RegExp(`within ${TIMEOUT} ms|timed? ?out|abort`, 'i'));
    expect(done.message).toContain('overfitting');
  });

  it('cuts off an answer that keeps coming but never finishes, at the stream deadline', async () => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_STREAM_DEADLINE_MS: '300' }), suite.source);
    suite.server.fallback = 'trickle';
    const session = await analyst.chat({ run: RUN, message: 'will it ever end?' });
    const text = (await readAll(session.tokens)).join('');
    const done = await session.done;
    expect(done.degraded).toBe(true);
    expect(done.reason).toMatch(/no answer within 300 ms for the whole answer/);
    expect(text.startsWith('and and ')).toBe(true);
    expect(text).toMatch(/the answer was cut off, the offline analyst's answer follows/);
  });

  it('opens the circuit after repeated failures and stops calling the server', async () => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_RETRIES: '0', ANALYST_LLM_BREAKER_FAILURES: '2' }), suite.source);
    suite.server.fallback = '500';
    for (let i = 0; i < 2; i++) await analyst.analyze({ run: RUN, kind: 'analysis', question: `q${i}` });
    expect(suite.server.requests).toHaveLength(2);
    const r = await analyst.analyze({ run: RUN, kind: 'analysis', question: 'q3' });
    expect(suite.server.requests).toHaveLength(2);
    expect(r).toMatchObject({ degraded: true, provider: 'offline' });
    expect(r.reason).toMatch(/circuit open after 2 failures/);
  });

  it('answers offline with a note once the daily token cap is reached', async () => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_MAX_TOKENS_PER_DAY: '1000' }), suite.source);
    const first = await analyst.analyze({ run: RUN, kind: 'analysis', question: 'first' });
    expect(first.degraded).toBe(false);
    expect(first.usage.prompt_tokens).toBeGreaterThan(1000);
    const second = await analyst.analyze({ run: RUN, kind: 'analysis', question: 'second' });
    expect(suite.server.requests).toHaveLength(1);
    expect(second).toMatchObject({ degraded: true, provider: 'offline' });
    expect(second.text).toMatch(/daily token cap reached \(\d+ of 1000 tokens today/);
    const usage = await analyst.usage();
    expect(usage.today.over_cap).toMatch(/daily token cap/);
    expect(usage.today.tokens).toBe(first.usage.prompt_tokens + first.usage.completion_tokens);
  });

  it('answers an unchanged run from the cache (latency: npm run bench); new data changes the digest', async () => {
    const local = new MemorySource();
    await loadGenerated(local, 'iris-s1-overfit');
    const { analyst: a2 } = await makeAnalyst(env(), local);
    const first = await a2.analyze({ run: 'iris-s1-overfit', kind: 'analysis' });
    expect(first.cached).toBe(false);
    for (let i = 0; i < 20; i++) {
      const r = await a2.analyze({ run: 'iris-s1-overfit', kind: 'analysis' });
      expect(r.cached).toBe(true);
    }
    expect(suite.server.requests).toHaveLength(1);
    local.add('iris-s1-overfit', [{ type: 'metrics', step: 100_000, epoch: 301, values: { val_loss: 0.5, train_loss: 0.001 } }]);
    const after = await a2.analyze({ run: 'iris-s1-overfit', kind: 'analysis' });
    expect(after.cached).toBe(false);
    expect(after.context.digest).not.toBe(first.context.digest);
    expect(suite.server.requests).toHaveLength(2);
  });
});
