// Usage accounting: tokens and cost per call, daily caps, the record behind GET /usage.
import type { UsageRow, UsageStore } from '../store/usage.ts';
import { costOf, type LlmConfig } from './config.ts';
import type { AnalystMetrics } from './metrics.ts';
import type { LlmUsage } from './provider.ts';

/** Caps reset at midnight UTC, the day most providers bill by. */
export const utcDay = (t = Date.now()) => new Date(t).toISOString().slice(0, 10);

/** Model providers whose tokens count against the caps; the narrator costs nothing. */
const METERED = new Set(['openai', 'ollama']);

export class UsageMeter {
  /** Cache hits not yet written: a hit must stay well under 5 ms, so it never waits for a disk write. */
  private readonly pendingHits = new Map<string, { day: string; provider: string; model: string; n: number }>();

  constructor(
    private readonly cfg: LlmConfig,
    private readonly repo: UsageStore,
    private readonly metrics?: AnalystMetrics,
  ) {}

  private async flush(): Promise<void> {
    const hits = [...this.pendingHits.values()];
    this.pendingHits.clear();
    for (const h of hits) await this.repo.add(h.day, h.provider, h.model, { cache_hits: h.n });
  }

  private async totals(day = utcDay()): Promise<{ tokens: number; cost: number }> {
    let tokens = 0;
    let cost = 0;
    for (const r of await this.repo.day(day)) {
      if (!METERED.has(r.provider)) continue;
      tokens += r.prompt_tokens + r.completion_tokens;
      cost += r.cost_usd;
    }
    return { tokens, cost };
  }

  /** A note saying which daily cap is reached, or undefined while under both. */
  async overCap(): Promise<string | undefined> {
    const { tokens, cost } = await this.totals();
    if (this.cfg.maxTokensPerDay !== undefined && tokens >= this.cfg.maxTokensPerDay) {
      return `daily token cap reached (${tokens} of ${this.cfg.maxTokensPerDay} tokens today, ANALYST_LLM_MAX_TOKENS_PER_DAY); answering offline until midnight UTC`;
    }
    if (this.cfg.maxCostPerDay !== undefined && cost >= this.cfg.maxCostPerDay) {
      return `daily cost cap reached ($${cost.toFixed(4)} of $${this.cfg.maxCostPerDay} today, ANALYST_LLM_MAX_COST_PER_DAY); answering offline until midnight UTC`;
    }
    return undefined;
  }

  /** Records one call; returns its cost (undefined when the model has no price). */
  async record(provider: string, model: string, usage: LlmUsage, latencyMs: number, degraded: boolean): Promise<number | undefined> {
    const cost = costOf(this.cfg, provider, model, usage.prompt_tokens, usage.completion_tokens);
    await this.flush();
    await this.repo.add(utcDay(), provider, model, {
      calls: 1,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      cost_usd: cost ?? 0,
      unpriced_calls: cost === undefined ? 1 : 0,
      degraded: degraded ? 1 : 0,
    });
    if (this.metrics) {
      this.metrics.tokens.inc({ provider, direction: 'prompt' }, usage.prompt_tokens);
      this.metrics.tokens.inc({ provider, direction: 'completion' }, usage.completion_tokens);
      if (cost) this.metrics.cost.inc({ provider }, cost);
      this.metrics.latency.observe({ provider }, latencyMs / 1000);
    }
    return cost;
  }

  cacheHit(provider: string, model: string): void {
    const day = utcDay();
    const key = `${day}|${provider}|${model}`;
    const pending = this.pendingHits.get(key);
    if (pending) pending.n++;
    else this.pendingHits.set(key, { day, provider, model, n: 1 });
    this.metrics?.cacheHits.inc();
  }

  /** GET /usage: today's totals against the caps, and the last 7 days by provider and model. */
  async report() {
    await this.flush();
    const today = utcDay();
    const { tokens, cost } = await this.totals(today);
    const week = await this.repo.from(utcDay(Date.now() - 6 * 86_400_000));
    return {
      day: today,
      today: {
        tokens,
        cost_usd: round(cost),
        caps: { tokens_per_day: this.cfg.maxTokensPerDay ?? null, cost_per_day_usd: this.cfg.maxCostPerDay ?? null },
        over_cap: (await this.overCap()) ?? null,
        by_model: week.filter((r) => r.day === today).map(shape),
      },
      last_7_days: week.map(shape),
    };
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function shape(r: UsageRow) {
  return { ...r, cost_usd: round(r.cost_usd) };
}
