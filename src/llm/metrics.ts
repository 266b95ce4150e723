// Prometheus counters of the analyst: calls, tokens, cost, cache hits, fallbacks, latency.
import { Counter, Histogram, type Registry } from 'prom-client';

export function registerAnalystMetrics(registry: Registry) {
  const registers = [registry];
  return {
    calls: new Counter({
      name: 'analyst_llm_calls_total',
      help: 'LLM calls by provider and outcome (ok, error, fallback)',
      labelNames: ['provider', 'outcome'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'analyst_llm_tokens_total',
      help: 'Tokens used, by provider and direction (prompt, completion)',
      labelNames: ['provider', 'direction'] as const,
      registers,
    }),
    cost: new Counter({ name: 'analyst_llm_cost_usd_total', help: 'LLM cost in USD, by provider', labelNames: ['provider'] as const, registers }),
    cacheHits: new Counter({ name: 'analyst_llm_cache_hits_total', help: 'Analyses answered from the response cache', registers }),
    degraded: new Counter({
      name: 'analyst_llm_degraded_total',
      help: 'Answers given by the offline narrator instead of the chosen model, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'analyst_llm_latency_seconds',
      help: 'Time to a full answer, by provider',
      labelNames: ['provider'] as const,
      buckets: [0.005, 0.05, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60],
      registers,
    }),
  };
}
export type AnalystMetrics = ReturnType<typeof registerAnalystMetrics>;
