// Schemas for alerts (what the notifier says about a run), webhook subscriptions and their deliveries.
import { z } from 'zod';
import { Finding, FindingKind, Severity } from './findings.ts';
import { table } from './own.ts';

export const AlertType = z.enum([
  'finding.raised',
  'finding.escalated',
  'finding.resolved',
  'run.stalled',
  'run.finished',
  'run.failed',
  // Sent only by `POST /webhooks/:id/test`; never part of the polled alert stream.
  'webhook.test',
]);
export type AlertType = z.infer<typeof AlertType>;

export const AlertRun = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  url: z.string(),
});
export type AlertRun = z.infer<typeof AlertRun>;

/** One alert, as stored, polled with `GET /alerts` and sent as the generic JSON webhook body. */
export const Alert = z.object({
  id: z.string(),
  /** Position in the alert stream: poll with `?after=<seq>` to miss nothing. */
  seq: z.number(),
  type: AlertType,
  created_at: z.number(),
  severity: Severity,
  /** For `finding.escalated`: the severity before it went up. */
  previous_severity: Severity.nullable(),
  message: z.string(),
  run: AlertRun,
  finding: Finding.nullable(),
  /** Facts about run events: status of a finished run, last event time of a stalled one. */
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).nullable(),
  /** The LLM's short analysis, once one was obtained for a subscription with include_analysis. */
  analysis: z.string().nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const WebhookFormat = z.enum(['json', 'slack', 'discord', 'auto']);
export type WebhookFormat = z.infer<typeof WebhookFormat>;

/** A `kinds` filter entry names either a finding kind (`nan_loss`) or an alert type (`run.stalled`). */
export const AlertKindFilter = z.union([FindingKind, AlertType.exclude(['webhook.test'])]);
export type AlertKindFilter = z.infer<typeof AlertKindFilter>;

export const CreateWebhookInput = z.object({
  url: z.string().trim().max(2000).pipe(z.url({ protocol: /^https?$/, error: 'only http and https URLs are accepted' })),
  /** HMAC key for X-Analyst-Signature; generated (and returned once) when absent. */
  secret: z.string().min(16).max(256).optional(),
  min_severity: Severity.default('warning'),
  kinds: z.array(AlertKindFilter).min(1).max(64).optional(),
  projects: z.array(z.string().trim().min(1).max(250)).min(1).max(100).optional(),
  format: WebhookFormat.default('auto'),
  include_analysis: z.boolean().default(false),
});
export type CreateWebhookInput = z.output<typeof CreateWebhookInput>;

/** A subscription as listed: the secret is never shown again after creation. */
export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  min_severity: Severity,
  kinds: z.array(AlertKindFilter).nullable(),
  projects: z.array(z.string()).nullable(),
  format: WebhookFormat,
  include_analysis: z.boolean(),
  /** `env` for the one set by ANALYST_WEBHOOK_URL, which only the environment can change. */
  source: z.enum(['api', 'env']),
  created_at: z.number(),
});
export type Webhook = z.infer<typeof Webhook>;

export const DeliveryStatus = z.enum(['pending', 'delivered', 'dead']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z.object({
  id: z.string(),
  webhook_id: z.string(),
  alert_id: z.string(),
  alert_type: AlertType,
  status: DeliveryStatus,
  attempts: z.number(),
  next_attempt_at: z.number().nullable(),
  last_error: z.string().nullable(),
  response_code: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  delivered_at: z.number().nullable(),
});
export type Delivery = z.infer<typeof Delivery>;

const DURATION_MS: Record<string, number> = table({ s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/** `90s`, `10m`, `2h`, `1d` in milliseconds; undefined when the text is not such a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(text.trim());
  return match ? Number(match[1]) * DURATION_MS[match[2].toLowerCase()] : undefined;
}

/**
 * Reads `since` as a person writes it: a duration back from now (`30m`, `2h`, `1d`), epoch
 * seconds or milliseconds, or an ISO 8601 time. Undefined when it is none of these.
 */
export function parseSince(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  const duration = parseDurationMs(trimmed);
  if (duration !== undefined) return now - duration;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    // Same reading as event timestamps: below 1e11 it cannot be milliseconds of this century.
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

export const AlertsQuery = z.object({
  since: z
    .string()
    .max(64)
    .transform((raw, ctx) => {
      const ms = parseSince(raw, Date.now());
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'since: use a duration (30m, 2h, 1d), epoch seconds/ms or an ISO time' });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  after: z.coerce.number().int().min(0).optional(),
  run: z.string().min(1).max(250).optional(),
  min_severity: Severity.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AlertsQuery = z.output<typeof AlertsQuery>;
