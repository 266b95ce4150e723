// Daily LLM usage per provider and model in PostgreSQL: every replica adds to the same rows, in
// one statement each, so a daily cap counts the calls of the whole deployment.
import type { UsageDelta, UsageRow, UsageStore } from '../usage.ts';
import type { PgDatabase } from './pool.ts';

export class PgUsageStore implements UsageStore {
  constructor(private readonly pg: PgDatabase) {}

  async add(day: string, provider: string, model: string, d: UsageDelta): Promise<void> {
    await this.pg.query(
      `INSERT INTO analyst_usage (day, provider, model, calls, prompt_tokens, completion_tokens, cost_usd, unpriced_calls, degraded, cache_hits)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (day, provider, model) DO UPDATE SET
         calls = analyst_usage.calls + excluded.calls,
         prompt_tokens = analyst_usage.prompt_tokens + excluded.prompt_tokens,
         completion_tokens = analyst_usage.completion_tokens + excluded.completion_tokens,
         cost_usd = analyst_usage.cost_usd + excluded.cost_usd,
         unpriced_calls = analyst_usage.unpriced_calls + excluded.unpriced_calls,
         degraded = analyst_usage.degraded + excluded.degraded,
         cache_hits = analyst_usage.cache_hits + excluded.cache_hits`,
      [
        day,
        provider,
        model,
        d.calls ?? 0,
        d.prompt_tokens ?? 0,
        d.completion_tokens ?? 0,
        d.cost_usd ?? 0,
        d.unpriced_calls ?? 0,
        d.degraded ?? 0,
        d.cache_hits ?? 0,
      ],
    );
  }

  async day(day: string): Promise<UsageRow[]> {
    const { rows } = await this.pg.query<UsageRow>('SELECT * FROM analyst_usage WHERE day = $1 ORDER BY provider COLLATE "C", model COLLATE "C"', [day]);
    return rows;
  }

  /** Rows of `day` and the days after it, newest first. */
  async from(day: string): Promise<UsageRow[]> {
    const { rows } = await this.pg.query<UsageRow>('SELECT * FROM analyst_usage WHERE day >= $1 ORDER BY day COLLATE "C" DESC, provider COLLATE "C", model COLLATE "C"', [day]);
    return rows;
  }
}
