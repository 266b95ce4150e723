import type { UsageDelta, UsageRow, UsageStore } from '../usage.ts';
import type { SqliteConnection } from './connection.ts';

/** Daily LLM usage in SQLite. */
export class UsageRepo implements UsageStore {
  private readonly upsert;
  private readonly byDay;
  private readonly since;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
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

  async add(day: string, provider: string, model: string, d: UsageDelta): Promise<void> {
    const row = {
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
    };
    await this.conn.write(() => this.upsert.run(row));
  }

  async day(day: string): Promise<UsageRow[]> {
    return this.byDay.all(day) as UsageRow[];
  }

  async from(day: string): Promise<UsageRow[]> {
    return this.since.all(day) as UsageRow[];
  }
}
