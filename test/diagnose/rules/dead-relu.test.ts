import { describe, expect, it } from 'vitest';
import { epochs, feed, oneMetricPerRow, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('dead_relu rule', () => {
  it('fires after three points of an exactly-zero layer gradient with the loss stuck', () => {
    const fed = feed(epochs(10, () => ({ train_loss: 2.3, grad_norm: 0.16, 'grad_norm/layer.0': 0, 'grad_norm/layer.out': 0 })));
    expect(raisedAt(fed, 'dead_relu')).toBe(2);
    const [f] = serious(fed, 'dead_relu');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('2 of 2 logged layers');
    expect(f.epoch).toBe(3);
  });

  it('reads layers logged in events of their own as one point, and counts points, not events', () => {
    const rows = epochs(10, () => ({ train_loss: 2.3, grad_norm: 0.16, 'grad_norm/layer.0': 0, 'grad_norm/layer.out': 0 }));
    const split = oneMetricPerRow(rows);
    const fed = feed(split);
    // The third point's first zero layer, as when each point came in one event.
    expect(raisedAt(fed, 'dead_relu')).toBe(2 * 4 + 2);
    // A dead layer beside a live one logged in the next event is seen with it.
    const half = feed(oneMetricPerRow(epochs(10, (e) => ({ train_loss: 3 / e, 'grad_norm/fc0': e < 4 ? 1.5 : 0, 'grad_norm/head': 1 }))));
    expect(serious(half, 'dead_relu')[0].message).toMatch(/fc0 had a gradient before: it died during training/);
  });

  it('only notes (info) a zero-gradient layer while the loss still improves: it may be frozen', () => {
    const fed = feed(epochs(10, (e) => ({ train_loss: 2.3 / e, 'grad_norm/layer.0': 0, 'grad_norm/layer.out': 0.3 })));
    expect(fed.findings.filter((f) => f.kind === 'dead_relu').map((f) => f.severity)).toEqual(['info']);
  });

  it('warns of a layer whose gradient flowed and then stopped for good, even while the loss improves', () => {
    const rows = epochs(20, (e) => ({ train_loss: 3 / e, 'grad_norm/fc0': e < 4 ? 1.5 : 0, 'grad_norm/head': 1 }));
    const [f] = serious(feed(rows), 'dead_relu');
    expect(f.message).toMatch(/fc0 had a gradient before: it died during training/);
    // Zero from the first point while the loss improves: a frozen layer, only noted.
    const frozen = feed(epochs(20, (e) => ({ train_loss: 3 / e, 'grad_norm/fc0': 0, 'grad_norm/head': 1 })));
    expect(serious(frozen, 'dead_relu')).toEqual([]);
  });

  it('says nothing of layers printed as 0 once the loss has fitted its data', () => {
    // A fitted model's gradients (2e-5) printed with four decimals: 0.0000 on every layer.
    const rows = epochs(40, (e) => ({ train_loss: e < 10 ? 1.1 / e ** 3 : 0, 'grad_norm/fc0': e < 10 ? 0.4 / e : 0, 'grad_norm/head': e < 10 ? 0.2 / e : 0 }));
    expect(feed(rows).findings.filter((f) => f.kind === 'dead_relu')).toEqual([]);
    // The same zero layers while the loss is still a tenth of where it started: units died.
    const dying = epochs(40, (e) => ({ train_loss: e < 10 ? 1.1 / e : 0.11, 'grad_norm/fc0': e < 10 ? 0.4 / e : 0, 'grad_norm/head': e < 10 ? 0.2 / e : 0 }));
    expect(serious(feed(dying), 'dead_relu')).toHaveLength(1);
  });

  it('only notes (info) units that died after the loss blew up', () => {
    const rows = epochs(16, (e) => ({
      train_loss: [3.5, 3.0, 8.5, 2.5, 9.1, 2.4][e - 1] ?? 2.36,
      'grad_norm/layer.0': e < 7 ? 2 : 0,
      'grad_norm/layer.out': e < 7 ? 2 : 0,
    }));
    const fed = feed(rows);
    expect(serious(fed, 'oscillation')).toHaveLength(1);
    expect(fed.findings.filter((f) => f.kind === 'dead_relu').map((f) => f.severity)).toEqual(['info']);
  });

  it('warns of units killed by a blow-up of the weights that no loss rule caught, and names it', () => {
    const rows = epochs(12, (e) => ({
      train_loss: 2.35,
      weight_norm: [80, 290, 460, 530][e - 1] ?? 556,
      'grad_norm/layer.0': e < 4 ? 2 : 0,
      'grad_norm/layer.out': e < 4 ? 1 : 0,
    }));
    const [f] = feed(rows).findings.filter((f) => f.kind === 'dead_relu');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('after the weights grew to 6.95x their first norm');
    // Re-described as the dead stretch doubles: 3, then 6 points.
    expect(f.evidence.points).toBe(6);
  });

  it('stays silent on small but non-zero gradients, and resolves when the layer gets gradient again', () => {
    const alive = feed(epochs(10, () => ({ train_loss: 2.3, 'grad_norm/layer.0': 1e-7, 'grad_norm/layer.out': 1e-6 })));
    expect(alive.findings.filter((f) => f.kind === 'dead_relu')).toEqual([]);
    const fed = feed(epochs(10, (e) => ({ train_loss: 2.3, 'grad_norm/layer.0': e < 6 ? 0 : 0.1, 'grad_norm/layer.out': 0.2 })));
    expect(resolvedAt(fed, 'dead_relu')).toBe(5);
  });
});
