import { describe, expect, it } from 'vitest';
import { epochs, feed, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('slow_throughput rule', () => {
  it('fires when the running median of epoch times has been twice the early one for five epochs', () => {
    const fed = feed(epochs(20, (e) => ({ train_loss: 1, epoch_time: e === 1 ? 60 : e <= 10 ? 30 : 65 })));
    expect(raisedAt(fed, 'slow_throughput')).toBe(16);
    const [f] = serious(fed, 'slow_throughput');
    expect(f.message).toContain('epoch_time is 65 s');
    expect(f.evidence.baseline).toBe(30);
  });

  it('stays silent on jitter, on a single slow epoch and on tiny timings that double', () => {
    const r = noise(4);
    const jitter = feed(epochs(60, (e) => ({ epoch_time: (e % 17 === 0 ? 90 : 30) * (1 + 0.3 * r()) })));
    expect(jitter.findings.filter((f) => f.kind === 'slow_throughput')).toEqual([]);
    const tiny = feed(epochs(60, (e) => ({ epoch_time: e < 30 ? 0.01 : 0.03 })));
    expect(tiny.findings.filter((f) => f.kind === 'slow_throughput')).toEqual([]);
  });

  it('ignores an elapsed-time clock logged as "time"', () => {
    const fed = feed(epochs(60, (e) => ({ step_time: 40 * e + e * e })));
    expect(fed.findings.filter((f) => f.kind === 'slow_throughput')).toEqual([]);
  });

  it('resolves when steps are fast again', () => {
    const fed = feed(Array.from({ length: 60 }, (_, i) => ({ step: i + 1, step_time: i < 20 || i >= 35 ? 0.2 : 0.6 })));
    expect(raisedAt(fed, 'slow_throughput')).toBeGreaterThan(20);
    expect(resolvedAt(fed, 'slow_throughput')).toBeGreaterThan(35);
  });
});
