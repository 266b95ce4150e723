// Chooses the providers: the default one (ANALYST_LLM, with the auto probe) and per-request overrides.
import { AnalystError } from '../domain/errors.ts';
import type { ProviderName } from '../domain/analysis-request.ts';
import type { LlmConfig } from './config.ts';
import { DEFAULT_OLLAMA_HOST, OllamaProvider, ollamaModels } from './ollama.ts';
import { OfflineProvider } from './offline.ts';
import { hasV1, OpenAIProvider, openaiModels } from './openai.ts';
import type { Provider } from './provider.ts';

/** OpenAI's own API without OPENAI_MODEL: its cheapest model that follows a JSON schema well. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

export interface Selection {
  provider: Provider;
  /** Why this provider and model were chosen, for the start-up log and GET /usage. */
  because: string;
  /** Settings that look wrong, said once at start-up. */
  warnings: string[];
}

export async function selectDefault(cfg: LlmConfig): Promise<Selection> {
  const warnings = baseUrlWarnings(cfg);
  const chosen = await choose(cfg);
  return { ...chosen, warnings };
}

function baseUrlWarnings(cfg: LlmConfig): string[] {
  const url = cfg.openai.baseURL;
  if (url === undefined || cfg.mode === 'offline' || cfg.mode === 'ollama' || hasV1(url)) return [];
  return [
    `OPENAI_BASE_URL ${url} does not end in /v1, where OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama) serve their API; the analyst adds /v1 when the server says the path is unknown, but check the setting`,
  ];
}

async function choose(cfg: LlmConfig): Promise<Omit<Selection, 'warnings'>> {
  const offline = new OfflineProvider();
  const openaiConfigured = cfg.openai.apiKey !== undefined || cfg.openai.baseURL !== undefined;
  switch (cfg.mode) {
    case 'offline':
      return { provider: offline, because: 'ANALYST_LLM=offline' };
    case 'openai':
      return openaiSelection(cfg, 'ANALYST_LLM=openai');
    case 'ollama':
      return ollamaSelection(cfg, 'ANALYST_LLM=ollama', true);
    case 'auto': {
      if (openaiConfigured) return openaiSelection(cfg, 'auto: OPENAI_API_KEY or OPENAI_BASE_URL is set');
      return ollamaSelection(cfg, 'auto', false);
    }
  }
}

/** With a base URL and no OPENAI_MODEL, the first model the server lists. */
async function openaiSelection(cfg: LlmConfig, because: string): Promise<Omit<Selection, 'warnings'>> {
  const { baseURL, model } = cfg.openai;
  if (model !== undefined) return { provider: openai(cfg, model), because: `${because}; model ${model} (OPENAI_MODEL)` };
  if (baseURL === undefined) return { provider: openai(cfg, DEFAULT_OPENAI_MODEL), because: `${because}; model ${DEFAULT_OPENAI_MODEL} (OPENAI_MODEL unset)` };
  try {
    const models = await openaiModels(cfg.openai.apiKey, baseURL, Math.max(cfg.probeMs, 2000));
    if (models[0] !== undefined) {
      return { provider: openai(cfg, models[0]), because: `${because}; model ${models[0]}, the first of ${models.length} the server at ${baseURL} lists (OPENAI_MODEL unset)` };
    }
    return { provider: new OfflineProvider(), because: `${because}, but the server at ${baseURL} lists no model and OPENAI_MODEL is unset: answering offline` };
  } catch (error) {
    return {
      provider: new OfflineProvider(),
      because: `${because}, but OPENAI_MODEL is unset and the server at ${baseURL} did not list its models (${(error as Error).message.slice(0, 160)}): answering offline`,
    };
  }
}

/** Without OLLAMA_MODEL, the first model the server lists (/api/tags). */
async function ollamaSelection(cfg: LlmConfig, because: string, required: boolean): Promise<Omit<Selection, 'warnings'>> {
  const host = cfg.ollama.host ?? DEFAULT_OLLAMA_HOST;
  if (required && cfg.ollama.model !== undefined) return { provider: new OllamaProvider(host, cfg.ollama.model), because: `${because}; model ${cfg.ollama.model} (OLLAMA_MODEL)` };
  try {
    const models = await ollamaModels(host, cfg.probeMs);
    const model = cfg.ollama.model ?? models[0];
    if (model) {
      const which = cfg.ollama.model !== undefined ? `model ${model} (OLLAMA_MODEL)` : `model ${model}, the first of ${models.length} it lists (OLLAMA_MODEL unset)`;
      return { provider: new OllamaProvider(host, model), because: `${because}: Ollama at ${host} answered /api/tags; ${which}` };
    }
    return { provider: new OfflineProvider(), because: `${because}: Ollama at ${host} has no model pulled` };
  } catch (error) {
    const why = required ? `${because}, but Ollama at ${host} did not answer /api/tags and OLLAMA_MODEL is unset` : `${because}: no OpenAI key and no Ollama at ${host}`;
    return { provider: new OfflineProvider(), because: `${why} (${(error as Error).message.slice(0, 120)})` };
  }
}

function openai(cfg: LlmConfig, model: string): Provider {
  return new OpenAIProvider({ apiKey: cfg.openai.apiKey, baseURL: cfg.openai.baseURL, model });
}

function ollama(cfg: LlmConfig, model?: string): Provider {
  const chosen = model ?? cfg.ollama.model;
  if (!chosen) throw new AnalystError('invalid_body', 'no Ollama model: set OLLAMA_MODEL or pass "model"');
  return new OllamaProvider(cfg.ollama.host ?? DEFAULT_OLLAMA_HOST, chosen);
}

/** The provider a request asks for (provider and/or model), else the default. */
export function resolveProvider(cfg: LlmConfig, fallback: Provider, name?: ProviderName, model?: string): Provider {
  const wanted = name ?? fallback.name;
  if (wanted === fallback.name && (model === undefined || model === fallback.model)) return fallback;
  switch (wanted) {
    case 'offline':
      return new OfflineProvider();
    case 'openai':
      if (cfg.openai.apiKey === undefined && cfg.openai.baseURL === undefined) {
        throw new AnalystError('invalid_body', 'provider openai is not configured: set OPENAI_API_KEY or OPENAI_BASE_URL');
      }
      // The default's model (maybe the one the server listed) when the request names none.
      return openai(cfg, model ?? cfg.openai.model ?? (fallback.name === 'openai' ? fallback.model : DEFAULT_OPENAI_MODEL));
    case 'ollama':
      // The probed default's model when the request names none (OLLAMA_MODEL may be unset).
      return ollama(cfg, model ?? (fallback.name === 'ollama' ? fallback.model : undefined));
  }
}
