// Live checks against a real model: they run only when OPENAI_API_KEY or OLLAMA_HOST is set.
import { beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { loadGenerated, makeAnalyst } from '../analyst/fixture.ts';

const openai = process.env.OPENAI_API_KEY;
const ollama = process.env.OLLAMA_HOST;
const RUN = 'digits-s1-overfit';
const source = new MemorySource();

beforeAll(async () => {
  if (openai || ollama) await loadGenerated(source, RUN);
});

describe.skipIf(!openai)('live OpenAI', () => {
  it('analyses an overfitting run with structured suggestions', async () => {
    const { analyst } = await makeAnalyst({ ...(process.env as Record<string, string>), ANALYST_LLM: 'openai', ANALYST_LLM_TIMEOUT_MS: '60000' }, source);
    const r = await analyst.analyze({ run: RUN, kind: 'tuning' });
    expect(r.degraded, r.reason).toBe(false);
    expect(r.provider).toBe('openai');
    expect(r.text.toLowerCase()).toMatch(/overfit/);
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
  }, 90_000);
});

describe.skipIf(!ollama)('live Ollama', () => {
  it('streams a chat answer about an overfitting run', async () => {
    const { analyst } = await makeAnalyst({ ...(process.env as Record<string, string>), ANALYST_LLM: 'auto', ANALYST_LLM_TIMEOUT_MS: '120000', OPENAI_API_KEY: '' }, source);
    const s = await analyst.chat({ run: RUN, message: 'Is this run overfitting? Answer in one sentence.' });
    let text = '';
    for await (const t of s.tokens) text += t;
    const done = await s.done;
    expect(done.degraded, done.reason).toBe(false);
    expect(done.provider).toBe('ollama');
    expect(text.length).toBeGreaterThan(10);
  }, 180_000);
});
