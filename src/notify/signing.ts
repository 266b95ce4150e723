// Webhook request signing: HMAC-SHA256 of the exact body bytes, and the headers every delivery carries.
import { createHmac } from 'node:crypto';
import type { AlertType } from '../domain/webhooks.ts';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function deliveryHeaders(secret: string, body: string, deliveryId: string, type: AlertType, sentAt: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'training-analyst-webhooks/1',
    'x-analyst-signature': signBody(secret, body),
    'x-analyst-delivery': deliveryId,
    'x-analyst-event': type,
    // Also inside the generic JSON body (`sent_at`), where the signature covers it.
    'x-analyst-timestamp': String(sentAt),
  };
}
