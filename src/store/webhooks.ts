// Webhook subscriptions: the notifier's own table.
import type { Webhook } from '../domain/webhooks.ts';

export type { Webhook };

/** A subscription with its secret: what the delivery worker needs, never what the API returns. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookStore {
  /** Inserts or replaces by id, so the environment's subscription follows the environment. */
  put(webhook: WebhookWithSecret): Promise<void>;
  get(id: string): Promise<WebhookWithSecret | undefined>;
  list(): Promise<WebhookWithSecret[]>;
  delete(id: string): Promise<boolean>;
}
