// Chooses the providers: the default one (ANALYST_LLM, with the auto probe) and per-request overrides.
import { AnalystError } from '../domain/errors.ts';
import type { ProviderName } from '../domain/analysis-request.ts';
import type { LlmConfig } from './config.ts';
import { DEFAULT_OLLAMA_HOST, OllamaProvider, ollamaModels } from './ollama.ts';
import { OfflineProvider } from './offline.ts';
import { OpenAIProvider } from './openai.ts';
import type { Provider } from './provider.ts';

export interface Selection {
  provider: Provider;
  /** Why this provider was chosen, for the start-up log and GET /usage. */
  because: string;
}

export async function selectDefault(cfg: LlmConfig): Promise<Selection> {
  const offline = new OfflineProvider();
  const openaiConfigured = cfg.openai.apiKey !== undefined || cfg.openai.baseURL !== undefined;
  switch (cfg.mode) {
    case 'offline':
      return { provider: offline, because: 'ANALYST_LLM=offline' };
    case 'openai':
      return { provider: openai(cfg), because: 'ANALYST_LLM=openai' };
    case 'ollama':
      return { provider: ollama(cfg), because: 'ANALYST_LLM=ollama' };
    case 'auto': {
      if (openaiConfigured) return { provider: openai(cfg), because: 'auto: OPENAI_API_KEY or OPENAI_BASE_URL is set' };
      const host = cfg.ollama.host ?? DEFAULT_OLLAMA_HOST;
      try {
        const models = await ollamaModels(host, cfg.probeMs);
        // Without OLLAMA_MODEL, the first model the server lists.
        const model = cfg.ollama.model ?? models[0];
        if (model) {
          return { provider: new OllamaProvider(host, model), because: `auto: Ollama at ${host} answered /api/tags` };
        }
        return { provider: offline, because: `auto: Ollama at ${host} has no model pulled` };
      } catch (error) {
        return { provider: offline, because: `auto: no OpenAI key and no Ollama at ${host} (${(error as Error).message.slice(0, 120)})` };
      }
    }
  }
}

function openai(cfg: LlmConfig, model?: string): Provider {
  return new OpenAIProvider({ apiKey: cfg.openai.apiKey, baseURL: cfg.openai.baseURL, model: model ?? cfg.openai.model });
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
      return openai(cfg, model);
    case 'ollama':
      // The probed default's model when the request names none (OLLAMA_MODEL may be unset).
      return ollama(cfg, model ?? (fallback.name === 'ollama' ? fallback.model : undefined));
  }
}
