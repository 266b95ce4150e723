// The real `ollama` client against an Ollama wire server: auto choice, format schemas, NDJSON streams, failures.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { selectDefault } from '../../src/llm/select.ts';
import { makeAnalyst } from '../analyst/fixture.ts';
import { OLLAMA_MODELS, startOllamaServer } from './wire/ollama-server.ts';
import { TIMEOUT, wireSuite } from './wire/suite.ts';

const RUN = 'iris-s1-lr-too-low';
const suite = wireSuite(startOllamaServer, RUN);

const env = (extra: Record<string, string> = {}) => ({
  ANALYST_LLM: 'ollama',
  OLLAMA_HOST: suite.server.url,
  OLLAMA_MODEL: 'llama3.2:1b',
  ANALYST_LLM_TIMEOUT_MS: String(TIMEOUT),
  ...extra,
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function readAll(tokens: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const t of tokens) out += t;
  return out;
}

describe('provider choice (ANALYST_LLM=auto)', () => {
  it('picks Ollama when /api/tags answers, with its first model when OLLAMA_MODEL is unset', async () => {
    const sel = await selectDefault(loadLlmConfig({ ANALYST_LLM: 'auto', OLLAMA_HOST: suite.server.url }));
    expect(sel.provider.name).toBe('ollama');
    expect(sel.provider.model).toBe(OLLAMA_MODELS[0]);
    expect(suite.server.requests[0]).toMatchObject({ method: 'GET', path: '/api/tags' });
  });

  it('picks OpenAI when a key is set, without probing Ollama', async () => {
    const sel = await selectDefault(loadLlmConfig({ ANALYST_LLM: 'auto', OPENAI_API_KEY: 'sk-x', OLLAMA_HOST: suite.server.url }));
    expect(sel.provider.name).toBe('openai');
    expect(suite.server.requests).toHaveLength(0);
  });

  it('falls to offline when nothing answers', async () => {
    const port = await closedPort();
    const sel = await selectDefault(loadLlmConfig({ ANALYST_LLM: 'auto', OLLAMA_HOST: `http://127.0.0.1:${port}`, ANALYST_LLM_PROBE_MS: '300' }));
    expect(sel.provider.name).toBe('offline');
    expect(sel.because).toMatch(/no OpenAI key and no Ollama/);
  });

  it('falls to offline when Ollama hangs on /api/tags, within the probe time', async () => {
    suite.server.fallback = 'hang';
    const sel = await selectDefault(loadLlmConfig({ ANALYST_LLM: 'auto', OLLAMA_HOST: suite.server.url, ANALYST_LLM_PROBE_MS: '300' }));
    expect(sel.provider.name).toBe('offline');
    // The server never answers: only the probe's time limit can have ended the wait.
    expect(sel.because).toMatch(/no OpenAI key and no Ollama/);
  });
});

describe('Ollama adapter against an Ollama wire server', () => {
  it('sends the JSON schema as `format` and validates the answer', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    const r = await analyst.analyze({ run: RUN, kind: 'tuning' });
    expect(r).toMatchObject({ provider: 'ollama', model: 'llama3.2:1b', degraded: false });
    expect(r.suggestions[0]).toMatchObject({ parameter: 'weight_decay', proposed: 0.0001 });
    const body = suite.server.requests[0].body as { format: { type: string; properties: object }; stream: boolean; messages: unknown[] };
    expect(body.stream).toBe(false);
    expect(body.format.type).toBe('object');
    expect(Object.keys(body.format.properties)).toEqual(['text', 'suggestions']);
    expect(r.usage.prompt_tokens).toBeGreaterThan(100);
    expect(r.usage.cost_usd).toBe(0);
  });

  it('streams NDJSON chat tokens and takes usage from the done line', async () => {
    const { analyst } = await makeAnalyst(env(), suite.source);
    const session = await analyst.chat({ run: RUN, message: 'how is it going?' });
    const text = await readAll(session.tokens);
    const done = await session.done;
    expect(text).toBe(suite.server.reply);
    expect(done).toMatchObject({ provider: 'ollama', degraded: false, message: suite.server.reply });
    expect(done.usage.completion_tokens).toBeGreaterThan(3);
    expect(suite.server.requests[0].body.stream).toBe(true);
  });

  it.each([
    ['500', /HTTP 500/],
    ['hang', new RegExp(`no answer within ${TIMEOUT} ms`)],
    ['malformed', /ollama failed/],
  ] as const)('falls back to offline on %s (analyze)', async (mode, reason) => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_RETRIES: '1' }), suite.source);
    suite.server.fallback = mode;
    const r = await analyst.analyze({ run: RUN, kind: 'analysis' });
    expect(r).toMatchObject({ degraded: true, provider: 'offline' });
    expect(r.reason).toMatch(reason);
    expect(r.text).toMatch(/learning rate too low/);
  });

  it.each(['half', '500', 'hang'] as const)('falls back to offline on a %s chat stream', async (mode) => {
    const { analyst } = await makeAnalyst(env({ ANALYST_LLM_RETRIES: '0' }), suite.source);
    suite.server.fallback = mode;
    const session = await analyst.chat({ run: RUN, action: 'tune' });
    const text = await readAll(session.tokens);
    const done = await session.done;
    expect(done.degraded).toBe(true);
    expect(text).toMatch(/lr: 1e-5 → 1e-4/);
    if (mode === 'half') expect(done.reason).toMatch(/ollama failed: .*(done|finished)/);
  });
});
