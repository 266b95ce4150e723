// Notifier settings and how they are read from the environment (all optional, with defaults).
import { parseDurationMs } from '../domain/webhooks.ts';
import type { RetryPolicy } from './retry.ts';
import { DEFAULT_RETRY } from './retry.ts';

export interface NotifierSettings {
  /** ANALYST_STALL_SECONDS: a running run silent this long is reported stalled. */
  stallMs: number;
  /** How often running runs are checked for a stall. */
  stallCheckMs: number;
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

const FIFTEEN_MINUTES = 15 * 60_000;

export function defaultSettings(stallMs = FIFTEEN_MINUTES): NotifierSettings {
  return {
    stallMs,
    // A stall is noticed at most a quarter of its threshold late, and never checked more than once a second.
    stallCheckMs: Math.min(30_000, Math.max(1_000, stallMs / 4)),
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

/** Seconds as a plain number, or a duration with its unit (`10m`). */
function readDuration(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) * 1000 : parseDurationMs(raw);
  if (ms === undefined || ms <= 0) throw new Error(`${name} must be seconds or a duration like 10m, not ${JSON.stringify(raw)}`);
  return ms;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): NotifierSettings {
  const settings = defaultSettings(readDuration('ANALYST_STALL_SECONDS', env.ANALYST_STALL_SECONDS));
  const url = env.ANALYST_WEBHOOK_URL?.trim();
  return {
    ...settings,
    cooldownMs: readDuration('ANALYST_ALERT_COOLDOWN', env.ANALYST_ALERT_COOLDOWN) ?? settings.cooldownMs,
    allowPrivate: env.ANALYST_WEBHOOK_ALLOW_PRIVATE === '1' || env.ANALYST_WEBHOOK_ALLOW_PRIVATE === 'true',
    envWebhook: url ? { url, secret: env.ANALYST_WEBHOOK_SECRET || undefined } : null,
  };
}
