// When to try a webhook delivery again: which outcomes are worth a retry, and how long to wait.

export interface RetryPolicy {
  /** First retry waits about this long; each later one doubles it. */
  baseMs: number;
  /** No wait between two attempts is longer than this (Retry-After aside). */
  capMs: number;
  /** After this long since the delivery was created, a failure marks it dead. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2_000, capMs: 5 * 60_000, maxAgeMs: 24 * 3_600_000 };

/**
 * Exponential back-off with "equal jitter": half the interval is fixed, half random, so retries
 * from many deliveries spread out while each still waits at least half its step.
 */
export function backoffMs(attempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return step / 2 + random() * (step / 2);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** 2xx delivered; 429 and 5xx are the receiver's passing trouble; any other answer will not change. */
export function classifyStatus(status: number): 'delivered' | 'retry' | 'dead' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 429 || status >= 500) return 'retry';
  return 'dead';
}
