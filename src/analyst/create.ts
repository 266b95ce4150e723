// Builds the analyst from its dependencies: settings, prompts, provider choice, cache, usage, tracking.
import type { Database } from 'better-sqlite3';
import type { Registry } from 'prom-client';
import { loadLlmConfig, type LlmConfig } from '../llm/config.ts';
import { LlmGateway } from '../llm/gateway.ts';
import { registerAnalystMetrics } from '../llm/metrics.ts';
import { loadPrompts } from '../llm/prompts.ts';
import { selectDefault, type Selection } from '../llm/select.ts';
import { UsageMeter } from '../llm/usage.ts';
import { SuggestionsRepo } from '../store/suggestions-repo.ts';
import { UsageRepo } from '../store/usage-repo.ts';
import { Analyst } from './analyst.ts';
import { Conversations } from './conversations.ts';
import type { AnalystSource } from './source.ts';
import { SuggestionTracker } from './suggestions.ts';

export interface AnalystDeps {
  source: AnalystSource;
  /** A better-sqlite3 handle; the analyst creates its own tables (analyst_suggestions, analyst_usage). */
  db: Database;
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
  const meter = new UsageMeter(cfg, new UsageRepo(deps.db), metrics);
  const selection = await selectDefault(cfg);
  const gateway = new LlmGateway(cfg, selection.provider, meter, metrics);
  const analyst = new Analyst({
    cfg,
    source: deps.source,
    gateway,
    prompts,
    meter,
    suggestions: new SuggestionTracker(new SuggestionsRepo(deps.db), deps.source),
    conversations: new Conversations(),
    because: selection.because,
    warnings: selection.warnings,
  });
  return { analyst, selection };
}
