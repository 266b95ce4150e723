// Webhook subscriptions in SQLite: the table is created here so the notifier owns its own schema.
import type Database from 'better-sqlite3';
import type { Severity } from '../domain/findings.ts';
import type { AlertKindFilter, Webhook, WebhookFormat } from '../domain/webhooks.ts';

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  min_severity: string;
  kinds: string | null;
  projects: string | null;
  format: string;
  include_analysis: number;
  source: string;
  created_at: number;
}

/** A subscription with its secret: what the delivery worker needs, never what the API returns. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

function toWebhook(row: WebhookRow): WebhookWithSecret {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    min_severity: row.min_severity as Severity,
    kinds: row.kinds === null ? null : (JSON.parse(row.kinds) as AlertKindFilter[]),
    projects: row.projects === null ? null : (JSON.parse(row.projects) as string[]),
    format: row.format as WebhookFormat,
    include_analysis: row.include_analysis === 1,
    source: row.source as Webhook['source'],
    created_at: row.created_at,
  };
}

export class WebhooksRepo {
  private readonly statements;
  /** Every alert reads the list inside the ingest transaction; it changes only through put/delete. */
  private cached: WebhookWithSecret[] | undefined;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      secret TEXT NOT NULL,
      min_severity TEXT NOT NULL,
      kinds TEXT,
      projects TEXT,
      format TEXT NOT NULL,
      include_analysis INTEGER NOT NULL,
      source TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
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

  /** Inserts or replaces by id, so the environment's subscription follows the environment. */
  put(webhook: WebhookWithSecret): void {
    this.cached = undefined;
    this.statements.put.run({
      ...webhook,
      kinds: webhook.kinds === null ? null : JSON.stringify(webhook.kinds),
      projects: webhook.projects === null ? null : JSON.stringify(webhook.projects),
      include_analysis: webhook.include_analysis ? 1 : 0,
    });
  }

  get(id: string): WebhookWithSecret | undefined {
    const row = this.statements.get.get(id) as WebhookRow | undefined;
    return row && toWebhook(row);
  }

  list(): WebhookWithSecret[] {
    this.cached ??= (this.statements.list.all() as WebhookRow[]).map(toWebhook);
    return this.cached;
  }

  delete(id: string): boolean {
    this.cached = undefined;
    return this.statements.delete.run(id).changes > 0;
  }
}
