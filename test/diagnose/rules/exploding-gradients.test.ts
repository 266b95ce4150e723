import { describe, expect, it } from 'vitest';
import { feed, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

function steps(n: number, grad: (i: number) => number): Array<Record<string, number>> {
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, train_loss: 1, grad_norm: grad(i + 1), lr: 0.02 }));
}

describe('exploding_gradients rule', () => {
  it('fires when the gradient norm jumps orders of magnitude over its recent baseline', () => {
    const fed = feed(steps(60, (i) => (i < 40 ? 1.5 : 1.5 * 4 ** (i - 39))));
    expect(raisedAt(fed, 'exploding_gradients')).toBeLessThanOrEqual(42);
    const found = serious(fed, 'exploding_gradients');
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('critical');
    expect(found[0].actions[0]).toMatch(/^clip gradients/);
    expect(found[0].actions[1]).toBe('lower lr from 0.02 to 0.002');
  });

  it('ignores the ordinary scatter of step-level gradient norms (up to ~4x) and their slow decay', () => {
    const r = noise(5);
    const fed = feed(steps(2000, (i) => 3 * Math.exp(-i / 500) * Math.exp(0.7 * r())));
    expect(fed.findings.filter((f) => f.kind === 'exploding_gradients')).toEqual([]);
  });

  it('resolves after ten calm points back near the baseline it had before', () => {
    const fed = feed(steps(60, (i) => (i >= 20 && i < 25 ? 500 : 2)));
    expect(raisedAt(fed, 'exploding_gradients')).toBe(19);
    expect(resolvedAt(fed, 'exploding_gradients')).toBe(34);
  });
});
