// Daily LLM usage per provider and model in SQLite, so caps and GET /usage survive a restart.
import type { Database } from 'better-sqlite3';

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

export class UsageRepo {
  private readonly upsert;
  private readonly byDay;
  private readonly since;

  constructor(db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS analyst_usage (
      day TEXT NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      calls INTEGER NOT NULL DEFAULT 0,
      prompt_tokens INTEGER NOT NULL DEFAULT 0,
      completion_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0,
      unpriced_calls INTEGER NOT NULL DEFAULT 0,
      degraded INTEGER NOT NULL DEFAULT 0,
      cache_hits INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (day, provider, model)
    )`);
    this.upsert = db.prepare(`INSERT INTO analyst_usage (day, provider, model, calls, prompt_tokens, completion_tokens, cost_usd, unpriced_calls, degraded, cache_hits)
      VALUES (@day, @provider, @model, @calls, @prompt_tokens, @completion_tokens, @cost_usd, @unpriced_calls, @degraded, @cache_hits)
      ON CONFLICT (day, provider, model) DO UPDATE SET
        calls = calls + excluded.calls,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
        completion_tokens = completion_tokens + excluded.completion_tokens,
        cost_usd = cost_usd + excluded.cost_usd,
        unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        degraded = degraded + excluded.degraded,
        cache_hits = cache_hits + excluded.cache_hits`);
    this.byDay = db.prepare('SELECT * FROM analyst_usage WHERE day = ? ORDER BY provider, model');
    this.since = db.prepare('SELECT * FROM analyst_usage WHERE day >= ? ORDER BY day DESC, provider, model');
  }

  add(day: string, provider: string, model: string, d: UsageDelta): void {
    this.upsert.run({
      day,
      provider,
      model,
      calls: d.calls ?? 0,
      prompt_tokens: d.prompt_tokens ?? 0,
      completion_tokens: d.completion_tokens ?? 0,
      cost_usd: d.cost_usd ?? 0,
      unpriced_calls: d.unpriced_calls ?? 0,
      degraded: d.degraded ?? 0,
      cache_hits: d.cache_hits ?? 0,
    });
  }

  day(day: string): UsageRow[] {
    return this.byDay.all(day) as UsageRow[];
  }

  /** Rows of `day` and the days after it, newest first. */
  from(day: string): UsageRow[] {
    return this.since.all(day) as UsageRow[];
  }
}
