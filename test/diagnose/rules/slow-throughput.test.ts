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

  it('finds data-loader stalls that a median never sees: a few steps far slower, most of the time', () => {
    const times = [0.15, 0.154, 0.154, 67.6, 0.16, 3.06, 0.154, 15.3, 0.154];
    const fed = feed(times.map((t, i) => ({ step: 14 + i, step_time: t, train_loss: 6.9 })));
    const [f] = serious(fed, 'slow_throughput');
    expect(f.message).toMatch(/3 of the last 7 step_time values .* over 3x the typical 0.16 s/);
    expect(f.evidence.stall_share).toBeGreaterThan(0.9);
    // A checkpoint save every 50 steps is not a stall.
    const saves = feed(Array.from({ length: 200 }, (_, i) => ({ step: i + 1, step_time: i % 50 === 49 ? 5 : 0.2 })));
    expect(serious(saves, 'slow_throughput')).toEqual([]);
  });

  it('reads tokens or samples per second: a halved rate is a slowdown', () => {
    const fed = feed(Array.from({ length: 40 }, (_, i) => ({ step: i + 1, train_loss: 1, throughput: i < 20 ? 5000 : 2000 })));
    const [f] = serious(fed, 'slow_throughput');
    expect(f.message).toMatch(/^throughput fell to 2,?000 per second/);
    expect(f.evidence.baseline).toBe(5000);
  });

  it('keeps a slowdown that starts within the first epochs out of the baseline, and hiccups in it', () => {
    // Three ordinary epochs after the first, then slower for good: the baseline is those three.
    const early = feed(epochs(20, (e) => ({ train_loss: 1, throughput: e <= 4 ? 8000 : 2500 + 300 * (e % 3) })));
    const [f] = serious(early, 'slow_throughput');
    expect(f.evidence.baseline).toBe(8000);
    expect(raisedAt(early, 'slow_throughput')).toBeLessThanOrEqual(10);
    // Single slow epochs among ordinary ones are the run's own scatter, in the baseline or later.
    const hiccups = feed(epochs(40, (e) => ({ train_loss: 1, throughput: e % 3 === 2 ? 1500 : 8000 })));
    expect(serious(hiccups, 'slow_throughput')).toEqual([]);
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
