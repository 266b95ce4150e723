import type { WebhookStore, WebhookWithSecret } from '../webhooks.ts';
import type { SqliteConnection } from './connection.ts';
import { toWebhook, type WebhookRow } from '../module-rows.ts';


/** Webhook subscriptions in SQLite. */
export class WebhooksRepo implements WebhookStore {
  private readonly statements;
  /** Every alert reads the list inside the ingest transaction; it changes only through put/delete. */
  private cached: WebhookWithSecret[] | undefined;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
    this.statements = {
      put: db.prepare(
        `INSERT OR REPLACE INTO webhooks (id, url, secret, min_severity, kinds, projects, format, include_analysis, source, created_at)
         VALUES (@id, @url, @secret, @min_severity, @kinds, @projects, @format, @include_analysis, @source, @created_at)`,
      ),
      get: db.prepare('SELECT * FROM webhooks WHERE id = ?'),
      list: db.prepare('SELECT * FROM webhooks ORDER BY created_at, id'),
      delete: db.prepare('DELETE FROM webhooks WHERE id = ?'),
    };
  }

  async put(webhook: WebhookWithSecret): Promise<void> {
    this.cached = undefined;
    await this.conn.write(() =>
      this.statements.put.run({
        ...webhook,
        kinds: webhook.kinds === null ? null : JSON.stringify(webhook.kinds),
        projects: webhook.projects === null ? null : JSON.stringify(webhook.projects),
        include_analysis: webhook.include_analysis ? 1 : 0,
      }),
    );
  }

  async get(id: string): Promise<WebhookWithSecret | undefined> {
    const row = this.statements.get.get(id) as WebhookRow | undefined;
    return row && toWebhook(row);
  }

  async list(): Promise<WebhookWithSecret[]> {
    this.cached ??= (this.statements.list.all() as WebhookRow[]).map(toWebhook);
    return this.cached;
  }

  async delete(id: string): Promise<boolean> {
    this.cached = undefined;
    return (await this.conn.write(() => this.statements.delete.run(id))).changes > 0;
  }
}
