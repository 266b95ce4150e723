// Webhook subscriptions in PostgreSQL. Read from the table on every use, not cached: another
// replica may have added or removed a subscription since.
import type { WebhookStore, WebhookWithSecret } from '../webhooks.ts';
import type { PgDatabase } from './pool.ts';
import { toWebhook, type WebhookRow } from '../module-rows.ts';


export class PgWebhookStore implements WebhookStore {
  constructor(private readonly pg: PgDatabase) {}

  /** Inserts or replaces by id, so the environment's subscription follows the environment. */
  async put(webhook: WebhookWithSecret): Promise<void> {
    await this.pg.query(
      `INSERT INTO webhooks (id, url, secret, min_severity, kinds, projects, format, include_analysis, source, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, min_severity = excluded.min_severity,
         kinds = excluded.kinds, projects = excluded.projects, format = excluded.format,
         include_analysis = excluded.include_analysis, source = excluded.source, created_at = excluded.created_at`,
      [
        webhook.id,
        webhook.url,
        webhook.secret,
        webhook.min_severity,
        webhook.kinds === null ? null : JSON.stringify(webhook.kinds),
        webhook.projects === null ? null : JSON.stringify(webhook.projects),
        webhook.format,
        webhook.include_analysis ? 1 : 0,
        webhook.source,
        webhook.created_at,
      ],
    );
  }

  async get(id: string): Promise<WebhookWithSecret | undefined> {
    const { rows } = await this.pg.query<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
    return rows[0] && toWebhook(rows[0]);
  }

  async list(): Promise<WebhookWithSecret[]> {
    const { rows } = await this.pg.query<WebhookRow>('SELECT * FROM webhooks ORDER BY created_at, id COLLATE "C"');
    return rows.map(toWebhook);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pg.query('DELETE FROM webhooks WHERE id = $1', [id]);
    return rowCount === 1;
  }
}
