import { describe, expect, it } from 'vitest';
import { epochs, feed, oneMetricPerRow, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('vanishing_gradients rule', () => {
  it('fires when the first layer gets a vanishing share of the gradient while the loss is stuck', () => {
    const rows = epochs(10, (e) => ({ train_loss: 2.303 - 0.001 * e, grad_norm: 0.7, 'grad_norm/layer.0': 1e-10, 'grad_norm/layer.out': 0.7 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'vanishing_gradients')).toBe(3);
    const [f] = serious(fed, 'vanishing_gradients');
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('layer.0');
    expect(f.evidence.low_layer).toBe('layer.0');
  });

  it('compares layers logged in events of their own, and stays raised between them', () => {
    const rows = epochs(10, (e) => ({ train_loss: 2.303 - 0.001 * e, 'grad_norm/layer.0': 1e-10, 'grad_norm/layer.out': 0.7 }));
    const fed = feed(oneMetricPerRow(rows));
    expect(serious(fed, 'vanishing_gradients')).toHaveLength(1);
    expect(resolvedAt(fed, 'vanishing_gradients')).toBe(-1);
  });

  it('stays silent when layers are within an order of magnitude, or when the loss is falling', () => {
    const healthy = feed(epochs(20, () => ({ train_loss: 2.3, 'grad_norm/layer.0': 0.05, 'grad_norm/layer.out': 0.4 })));
    expect(healthy.findings.filter((f) => f.kind === 'vanishing_gradients')).toEqual([]);
    const learning = feed(epochs(20, (e) => ({ train_loss: 2.3 / e, 'grad_norm/layer.0': 1e-6, 'grad_norm/layer.out': 0.4 })));
    expect(serious(learning, 'vanishing_gradients')).toEqual([]);
  });

  it('resolves when gradients reach the early layers again', () => {
    const rows = epochs(20, (e) => ({ train_loss: 2.3, 'grad_norm/layer.0': e < 10 ? 1e-9 : 0.2, 'grad_norm/layer.out': 0.5 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'vanishing_gradients')).toBe(3);
    expect(resolvedAt(fed, 'vanishing_gradients')).toBe(9);
  });
});
