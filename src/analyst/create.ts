// Builds the analyst from its dependencies: settings, prompts, provider choice, cache, usage, tracking.
import type { Registry } from 'prom-client';
import { loadLlmConfig, type LlmConfig } from '../llm/config.ts';
import { LlmGateway } from '../llm/gateway.ts';
import { registerAnalystMetrics } from '../llm/metrics.ts';
import { loadPrompts } from '../llm/prompts.ts';
import { selectDefault, type Selection } from '../llm/select.ts';
import { UsageMeter } from '../llm/usage.ts';
import type { Store } from '../store/store.ts';
import { Analyst } from './analyst.ts';
import { Conversations } from './conversations.ts';
import type { AnalystSource } from './source.ts';
import { SuggestionTracker } from './suggestions.ts';

export interface AnalystDeps {
  source: AnalystSource;
  /** Where usage and suggestions are kept. */
  store: Pick<Store, 'usage' | 'suggestions'>;
  /** Settings; read from `env` (default process.env) when not given. */
  config?: LlmConfig;
  env?: NodeJS.ProcessEnv;
  /** Where the analyst's Prometheus counters go (the service's /metrics registry). */
  registry?: Registry;
}

export interface AnalystHandle {
  analyst: Analyst;
  selection: Selection;
}

/**
 * Reads the prompts (a bad template fails here, at start), chooses the default provider (the
 * auto probe asks Ollama's /api/tags once) and wires the rest.
 */
export async function createAnalyst(deps: AnalystDeps): Promise<AnalystHandle> {
  const cfg = deps.config ?? loadLlmConfig(deps.env);
  const prompts = loadPrompts(cfg.promptsDir);
  const metrics = deps.registry ? registerAnalystMetrics(deps.registry) : undefined;
  const meter = new UsageMeter(cfg, deps.store.usage, metrics);
  const selection = await selectDefault(cfg);
  const gateway = new LlmGateway(cfg, selection.provider, meter, metrics);
  const analyst = new Analyst({
    cfg,
    source: deps.source,
    gateway,
    prompts,
    meter,
    suggestions: new SuggestionTracker(deps.store.suggestions, deps.source),
    conversations: new Conversations(),
    because: selection.because,
    warnings: selection.warnings,
  });
  return { analyst, selection };
}
