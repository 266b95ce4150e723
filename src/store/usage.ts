// Daily LLM usage per provider and model, so caps and GET /usage survive a restart.

export interface UsageDelta {
  calls?: number;
  prompt_tokens?: number;
  completion_tokens?: number;
  cost_usd?: number;
  /** Calls whose model has no price: their cost is unknown, not zero. */
  unpriced_calls?: number;
  degraded?: number;
  cache_hits?: number;
}

export interface UsageRow extends Required<UsageDelta> {
  day: string;
  provider: string;
  model: string;
}

export interface UsageStore {
  /** Adds to the day's counters of that provider and model. */
  add(day: string, provider: string, model: string, d: UsageDelta): Promise<void>;
  day(day: string): Promise<UsageRow[]>;
  /** Rows of `day` and the days after it, newest first. */
  from(day: string): Promise<UsageRow[]>;
}
