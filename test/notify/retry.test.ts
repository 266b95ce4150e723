// Retry timing: exponential back-off with jitter under a cap, and Retry-After in both of its forms.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, backoffMs, classifyStatus, parseRetryAfter } from '../../src/notify/retry.ts';

describe('retry policy', () => {
  it('retries within seconds at first, doubles, and caps at a few minutes', () => {
    const low = (n: number) => backoffMs(n, DEFAULT_RETRY, () => 0);
    const high = (n: number) => backoffMs(n, DEFAULT_RETRY, () => 1);
    expect([low(1), high(1)]).toEqual([1_000, 2_000]);
    expect([low(2), high(2)]).toEqual([2_000, 4_000]);
    expect(high(5)).toBe(32_000);
    expect([low(20), high(20)]).toEqual([150_000, 300_000]);
    // The whole 24 hours of a receiver outage costs a few hundred attempts, not thousands.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < DEFAULT_RETRY.maxAgeMs) elapsed += backoffMs(++attempts, DEFAULT_RETRY, () => 0.5);
    expect(attempts).toBeGreaterThan(300);
    expect(attempts).toBeLessThan(500);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('retries 429 and 5xx only', () => {
    expect([200, 201, 204].map(classifyStatus)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([429, 500, 502, 503].map(classifyStatus)).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect([301, 400, 401, 404, 410, 413].map(classifyStatus)).toEqual(['dead', 'dead', 'dead', 'dead', 'dead', 'dead']);
  });
});
