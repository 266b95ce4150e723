// The analyst's settings, read once from the environment (all optional; see .env.example).
import { z } from 'zod';
import { parseOrThrow } from '../domain/errors.ts';
import { setVariables } from '../domain/environment.ts';

/** USD per million tokens. Public list prices; override or extend with ANALYST_LLM_PRICES. */
export const DEFAULT_PRICES: Record<string, { input: number; output: number }> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5': { input: 1.25, output: 10 },
};

const Prices = z.record(z.string(), z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }));

const num = (def: number) => z.coerce.number().nonnegative().default(def);
const optionalNum = z.coerce.number().positive().optional();
const text = z.string().trim().min(1).optional();

const Env = z.object({
  ANALYST_LLM: z.enum(['auto', 'openai', 'ollama', 'offline']).default('auto'),
  OPENAI_API_KEY: text,
  OPENAI_BASE_URL: text,
  // Unset: OpenAI's own API gets gpt-4o-mini; a server at OPENAI_BASE_URL is asked what it serves.
  OPENAI_MODEL: text,
  OLLAMA_HOST: text,
  OLLAMA_MODEL: text,
  // A local model on CPU needs seconds per answer; 20 s bounds how long a person waits for the fallback.
  ANALYST_LLM_TIMEOUT_MS: num(20_000),
  // A model that keeps sending a token now and then would hold a chat open for ever: two minutes for a whole answer.
  ANALYST_LLM_STREAM_DEADLINE_MS: num(120_000),
  ANALYST_LLM_RETRIES: num(2),
  ANALYST_LLM_PROBE_MS: num(800),
  // Five failures in a row means the provider is down, not unlucky; 30 s before trying it again.
  ANALYST_LLM_BREAKER_FAILURES: num(5),
  ANALYST_LLM_BREAKER_COOLDOWN_MS: num(30_000),
  ANALYST_LLM_MAX_TOKENS_PER_DAY: optionalNum,
  ANALYST_LLM_MAX_COST_PER_DAY: optionalNum,
  ANALYST_LLM_MAX_COMPLETION_TOKENS: num(1200),
  ANALYST_LLM_PRICES: z.string().optional(),
  ANALYST_LLM_CACHE_SIZE: num(500),
  ANALYST_LLM_CACHE_TTL_MS: num(3_600_000),
  ANALYST_CONTEXT_TOKENS: z.coerce.number().int().min(300).default(2000),
  ANALYST_PROMPTS_DIR: text,
  // Automatic analyses (after a finding) at most once a minute per run: findings come in bursts.
  ANALYST_AUTO_REFRESH_MS: num(60_000),
});

export interface LlmConfig {
  mode: 'auto' | 'openai' | 'ollama' | 'offline';
  openai: { apiKey?: string; baseURL?: string; model?: string };
  ollama: { host?: string; model?: string };
  timeoutMs: number;
  /** A streamed answer must be complete within this, however steadily its tokens come. */
  streamDeadlineMs: number;
  retries: number;
  probeMs: number;
  breaker: { failures: number; cooldownMs: number };
  maxTokensPerDay?: number;
  maxCostPerDay?: number;
  maxCompletionTokens: number;
  prices: Record<string, { input: number; output: number }>;
  cacheSize: number;
  cacheTtlMs: number;
  contextTokens: number;
  promptsDir?: string;
  autoRefreshMs: number;
}

export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const e = parseOrThrow(Env, setVariables(env), 'environment', 'invalid_body');
  let extra: Record<string, { input: number; output: number }> = {};
  if (e.ANALYST_LLM_PRICES) {
    let raw: unknown;
    try {
      raw = JSON.parse(e.ANALYST_LLM_PRICES);
    } catch {
      raw = undefined;
    }
    extra = parseOrThrow(Prices, raw, 'ANALYST_LLM_PRICES (JSON: {"model": {"input": usd_per_1M, "output": usd_per_1M}})');
  }
  return {
    mode: e.ANALYST_LLM,
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    ollama: { host: e.OLLAMA_HOST, model: e.OLLAMA_MODEL },
    timeoutMs: e.ANALYST_LLM_TIMEOUT_MS,
    streamDeadlineMs: e.ANALYST_LLM_STREAM_DEADLINE_MS,
    retries: Math.floor(e.ANALYST_LLM_RETRIES),
    probeMs: e.ANALYST_LLM_PROBE_MS,
    breaker: { failures: Math.max(1, Math.floor(e.ANALYST_LLM_BREAKER_FAILURES)), cooldownMs: e.ANALYST_LLM_BREAKER_COOLDOWN_MS },
    maxTokensPerDay: e.ANALYST_LLM_MAX_TOKENS_PER_DAY,
    maxCostPerDay: e.ANALYST_LLM_MAX_COST_PER_DAY,
    maxCompletionTokens: Math.floor(e.ANALYST_LLM_MAX_COMPLETION_TOKENS),
    prices: { ...DEFAULT_PRICES, ...extra },
    cacheSize: Math.max(1, Math.floor(e.ANALYST_LLM_CACHE_SIZE)),
    cacheTtlMs: e.ANALYST_LLM_CACHE_TTL_MS,
    contextTokens: e.ANALYST_CONTEXT_TOKENS,
    promptsDir: e.ANALYST_PROMPTS_DIR,
    autoRefreshMs: e.ANALYST_AUTO_REFRESH_MS,
  };
}

/** Cost in USD of a call; undefined when the model has no price (an unknown OpenAI-compatible model). */
export function costOf(cfg: LlmConfig, provider: string, model: string, promptTokens: number, completionTokens: number): number | undefined {
  if (provider !== 'openai') return 0;
  const price = cfg.prices[model] ?? cfg.prices[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
  if (!price) return undefined;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
