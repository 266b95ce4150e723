// Deadline-bounded calls with retries and exponential back-off on 429 and 5xx.
import { isCapabilityRefusal } from './errors.ts';
import { ProviderError } from './provider.ts';

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.status === undefined || isCapabilityRefusal(error)) return false;
  return error.status === 429 || error.status === 408 || error.status >= 500;
}

export class DeadlineError extends ProviderError {
  /** `previous`: the failure a retry was answering; it says more than the timeout does. */
  constructor(ms: number, previous?: unknown, what = '') {
    super(`no answer within ${ms} ms${what ? ` ${what}` : ''}${previous instanceof Error ? ` (retrying after ${previous.message})` : ''}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exponential back-off with ±25 % jitter, never shorter than the server's Retry-After. */
export function backoffMs(attempt: number, error: unknown, baseMs = 250): number {
  const retryAfter = error instanceof ProviderError ? error.retryAfterMs : undefined;
  return Math.max(retryAfter ?? 0, baseMs * 2 ** attempt * (0.75 + Math.random() * 0.5));
}

export interface RetryOptions {
  deadline: number;
  retries: number;
  timeoutMs: number;
  /** First back-off; doubled on each retry, with jitter. */
  baseDelayMs?: number;
}

/**
 * Runs `fn` with an abort signal that fires at the deadline; retries retryable errors while the
 * back-off still fits before the deadline. Rejects with DeadlineError when time runs out.
 */
export async function withRetries<T>(fn: (signal: AbortSignal) => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseDelayMs ?? 250;
  let previous: unknown;
  for (let attempt = 0; ; attempt++) {
    const left = opts.deadline - Date.now();
    if (left <= 0) throw new DeadlineError(opts.timeoutMs, previous);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, left);
    try {
      return await fn(controller.signal);
    } catch (error) {
      if (timedOut) throw new DeadlineError(opts.timeoutMs, previous);
      const delay = backoffMs(attempt, error, base);
      if (!isRetryable(error) || attempt >= opts.retries || Date.now() + delay >= opts.deadline) throw error;
      previous = error;
      await sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
}
