// Notifier settings and how they are read from the environment (all optional, with defaults).
import { z } from 'zod';
import { parseOrThrow } from '../domain/errors.ts';
import { DurationSetting } from '../domain/duration.ts';
import { setVariables } from '../domain/environment.ts';
import type { RetryPolicy } from './retry.ts';
import { DEFAULT_RETRY } from './retry.ts';

export interface NotifierSettings {
  /** ANALYST_ALERT_COOLDOWN: at most one finding.raised per run and kind in this time. */
  cooldownMs: number;
  /** ANALYST_WEBHOOK_ALLOW_PRIVATE=1: let webhooks reach loopback and private addresses. */
  allowPrivate: boolean;
  /** ANALYST_WEBHOOK_URL / ANALYST_WEBHOOK_SECRET: one subscription without an API call. */
  envWebhook: { url: string; secret?: string } | null;
  retry: RetryPolicy;
  /** Whole-request limit for one delivery attempt. */
  timeoutMs: number;
  concurrency: number;
  /** How long a delivery waits for the optional LLM analysis before going without it. */
  analysisTimeoutMs: number;
  /** Delivered and dead deliveries, and their alerts, are dropped after this long. */
  retentionMs: number;
}

export function defaultSettings(): NotifierSettings {
  return {
    cooldownMs: 10 * 60_000,
    allowPrivate: false,
    envWebhook: null,
    retry: DEFAULT_RETRY,
    timeoutMs: 10_000,
    concurrency: 8,
    analysisTimeoutMs: 5_000,
    retentionMs: 30 * 86_400_000,
  };
}

const NotifyEnv = z.object({
  ANALYST_ALERT_COOLDOWN: DurationSetting.optional(),
  ANALYST_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  ANALYST_WEBHOOK_SECRET: z.string().min(1).optional(),
  ANALYST_WEBHOOK_ALLOW_PRIVATE: z.string().optional(),
  ANALYST_WEBHOOK_TIMEOUT: DurationSetting.optional(),
});

export function settingsFromEnv(env: NodeJS.ProcessEnv): NotifierSettings {
  const parsed = parseOrThrow(NotifyEnv, setVariables(env), 'configuration');
  const settings = defaultSettings();
  return {
    ...settings,
    cooldownMs: parsed.ANALYST_ALERT_COOLDOWN ?? settings.cooldownMs,
    timeoutMs: parsed.ANALYST_WEBHOOK_TIMEOUT ?? settings.timeoutMs,
    allowPrivate: ['1', 'true', 'yes'].includes(parsed.ANALYST_WEBHOOK_ALLOW_PRIVATE ?? ''),
    envWebhook: parsed.ANALYST_WEBHOOK_URL ? { url: parsed.ANALYST_WEBHOOK_URL, secret: parsed.ANALYST_WEBHOOK_SECRET } : null,
  };
}
