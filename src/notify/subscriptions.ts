// Which subscriptions an alert goes to, and the shape of a new subscription.
import { randomBytes, randomUUID } from 'node:crypto';
import { SEVERITY_RANK } from '../domain/findings.ts';
import type { Alert, CreateWebhookInput, Webhook } from '../domain/webhooks.ts';
import type { WebhookWithSecret } from '../store/webhooks.ts';

/** The id of the subscription ANALYST_WEBHOOK_URL makes; fixed so a restart updates it in place. */
export const ENV_WEBHOOK_ID = 'env';

/** `kinds` names finding kinds and alert types alike; `projects` limits by the run's project. */
export function wants(webhook: Webhook, alert: Pick<Alert, 'type' | 'severity' | 'finding' | 'run'>): boolean {
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[webhook.min_severity]) return false;
  if (webhook.kinds && !webhook.kinds.some((k) => k === alert.type || k === alert.finding?.kind)) return false;
  if (webhook.projects && !webhook.projects.includes(alert.run.project)) return false;
  return true;
}

export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

export function newWebhook(input: CreateWebhookInput, now: number): WebhookWithSecret {
  return {
    id: randomUUID(),
    url: input.url,
    secret: input.secret ?? generateSecret(),
    min_severity: input.min_severity,
    kinds: input.kinds ?? null,
    projects: input.projects ?? null,
    format: input.format,
    include_analysis: input.include_analysis,
    source: 'api',
    created_at: now,
  };
}

/** What the API shows of a subscription: everything but the secret. */
export function publicView({ secret: _secret, ...webhook }: WebhookWithSecret): Webhook {
  return webhook;
}
