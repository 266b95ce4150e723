import { describe, expect, it } from 'vitest';
import { feed, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

function steps(n: number, grad: (i: number) => number): Array<Record<string, number>> {
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, train_loss: 1, grad_norm: grad(i + 1), lr: 0.02 }));
}

describe('exploding_gradients rule', () => {
  it('fires when the gradient norm grows by orders of magnitude over its normal range, whatever the loss does', () => {
    const fed = feed(steps(60, (i) => (i < 40 ? 1.5 : 1.5 * 4 ** (i - 39))));
    // 4x a point: the running median of three passes 100x the normal top two points after the norm itself.
    expect(raisedAt(fed, 'exploding_gradients')).toBeLessThanOrEqual(44);
    const found = serious(fed, 'exploding_gradients');
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('critical');
    expect(found[0].actions[0]).toMatch(/^clip gradients/);
    expect(found[0].actions[1]).toBe('lower lr from 0.02 to 0.002');
  });

  it('calls a short burst exploding only when the loss deteriorates with it', () => {
    const calm = feed(steps(80, (i) => (i === 50 ? 200 : 1 + 0.1 * Math.sin(i))));
    expect(serious(calm, 'exploding_gradients')).toEqual([]);
    const rows = steps(80, (i) => (i >= 50 && i < 53 ? 60 : 1 + 0.1 * Math.sin(i))).map((r, k) => ({ ...r, train_loss: k < 50 ? 2 - k / 50 : 3 }));
    expect(serious(feed(rows), 'exploding_gradients')).toHaveLength(1);
  });

  it('ignores the heavy tail of a converged model whose loss stays near zero', () => {
    const r = noise(9);
    const rows = steps(600, (i) => (i % 37 === 0 ? 8 : 0.003 * Math.exp(1.5 * r()))).map((row, k) => ({ ...row, train_loss: k < 100 ? 1.7 - k * 0.0169 : 0.0005 + 0.0004 * Math.abs(r()) + (k % 37 === 0 ? 0.02 : 0) }));
    expect(serious(feed(rows), 'exploding_gradients')).toEqual([]);
  });

  it('reports a norm that is huge from the first step, with no growth to see', () => {
    const fed = feed(steps(30, () => 3e6));
    expect(serious(fed, 'exploding_gradients')).toHaveLength(1);
  });

  it('is not blinded by a wild first value', () => {
    const fed = feed(steps(60, (i) => (i === 1 ? 2e17 : i < 40 ? 1 : 300)));
    expect(raisedAt(fed, 'exploding_gradients')).toBeGreaterThanOrEqual(39);
    expect(raisedAt(fed, 'exploding_gradients')).toBeLessThanOrEqual(41);
  });

  it('ignores the ordinary scatter of step-level gradient norms (up to ~4x) and their slow decay', () => {
    const r = noise(5);
    const fed = feed(steps(2000, (i) => 3 * Math.exp(-i / 500) * Math.exp(0.7 * r())));
    expect(fed.findings.filter((f) => f.kind === 'exploding_gradients')).toEqual([]);
  });

  it('resolves after ten calm points back near the baseline it had before', () => {
    const fed = feed(steps(60, (i) => (i >= 20 && i < 25 ? 500 : 2)));
    // 250x the normal range for five points: the running median of three passes 100x on the second.
    expect(raisedAt(fed, 'exploding_gradients')).toBe(20);
    expect(resolvedAt(fed, 'exploding_gradients')).toBe(34);
  });
});
