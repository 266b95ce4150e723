import { describe, expect, it } from 'vitest';
import { epochs, feed, oneMetricPerRow, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

/**
 * Written in full, as trainers write floats: values with one decimal (2, 1.9, ..., 1) would read
 * as printed to a tenth, too coarse to show a stall (see Smoothed.resolves).
 */
const FULL = 1.0123456789;

/** Falls from 2 to 1 over ten epochs, then stays flat. */
const stalls = (e: number) => ({ train_loss: (e <= 10 ? 2 - 0.1 * e : 1) * FULL, lr: 0.01 });

describe('plateau rule', () => {
  it('restarts its patience while the learning rate rises, also when the rate is logged in an event of its own', () => {
    const rows = epochs(40, (e) => ({ ...stalls(e), lr: e <= 10 ? 0.01 : 0.01 * 1.1 ** (e - 10) }));
    expect(serious(feed(rows), 'plateau')).toEqual([]);
    for (const order of [['lr', 'train_loss'], ['train_loss', 'lr']]) expect(serious(feed(oneMetricPerRow(rows, order)), 'plateau')).toEqual([]);
    // The same flat loss at a constant rate is a plateau.
    expect(serious(feed(epochs(40, stalls)), 'plateau')).toHaveLength(1);
  });

  it('fires when a loss that had improved stops improving well above its floor', () => {
    const fed = feed(epochs(40, stalls));
    const at = raisedAt(fed, 'plateau');
    expect(at).toBeGreaterThan(15);
    expect(at).toBeLessThan(25);
    const [f] = serious(fed, 'plateau');
    expect(f.actions[0]).toBe('lower lr from 0.01 to 0.001 (or ReduceLROnPlateau with factor 0.1)');
    expect(f.actions[1]).toMatch(/stop early/);
  });

  it('waits for two validation points after the stall before calling a run that logs one stalled', () => {
    // Step-level training loss flat from step 100; validation every 100 steps, the first at 150.
    const rows = Array.from({ length: 40 }, (_, i) => {
      const step = (i + 1) * 10;
      const row: Record<string, number> = { step, train_loss: (step <= 100 ? 2 - step / 100 : 1) * FULL, lr: 0.01 };
      if (step % 100 === 50) row.val_loss = 1.1 * FULL;
      return row;
    });
    const fed = feed(rows);
    // Patience ends near step 200; the second flat validation point after the stall is at step 250.
    expect(raisedAt(fed, 'plateau')).toBe(24);
  });

  it('counts the stall from the later of the two losses last progress: old validation progress does not excuse it for ever', () => {
    // Training loss flat from epoch 10; validation still improves until epoch 14, then is flat too.
    const fed = feed(epochs(60, (e) => ({ train_loss: (e <= 10 ? 2 - 0.1 * e : 1) * FULL, val_loss: (e <= 14 ? 2.2 - 0.08 * e : 1.08) * FULL, lr: 0.01 })));
    // Ten points of patience from the validation loss's last progress (epoch 15, row 14).
    expect(raisedAt(fed, 'plateau')).toBe(24);
    expect(serious(fed, 'plateau')).toHaveLength(1);
  });

  it('stays silent while a sparse validation loss still improves slowly and steadily', () => {
    // A noisy, flat step-level training loss; validation every 50 steps, 1.5% better each time.
    let seed = 7;
    const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const rows = Array.from({ length: 400 }, (_, i) => {
      const step = (i + 1) * 5;
      const row: Record<string, number> = { step, train_loss: (step <= 200 ? 4 - step / 100 : 2) * (1 + r()), lr: 0.001 };
      if (step % 50 === 0) row.val_loss = 2.6 * Math.pow(0.985, step / 50);
      return row;
    });
    expect(serious(feed(rows), 'plateau')).toEqual([]);
  });

  it('does not take a short stretch of a noisy, still falling loss for a stall (ten seeds)', () => {
    // Per-step losses scattering by 20% around a slow power-law descent.
    for (let seed = 1; seed <= 10; seed++) {
      const r = noise(seed);
      const rows = Array.from({ length: 300 }, (_, i) => ({ step: i + 1, train_loss: 10 * (1 + i / 20) ** -0.3 * Math.exp(0.2 * r()), lr: 3e-4 }));
      expect(serious(feed(rows), 'plateau'), `seed ${seed}`).toEqual([]);
    }
  });

  it('stays silent on a run that converged near zero, on a steadily falling one and on a never-improving one', () => {
    const converged = feed(epochs(60, (e) => ({ train_loss: Math.max(2 * Math.exp(-e / 3), 0.01) })));
    expect(converged.findings.filter((f) => f.kind === 'plateau')).toEqual([]);
    const falling = feed(epochs(60, (e) => ({ train_loss: 2 / Math.sqrt(e) })));
    expect(falling.findings.filter((f) => f.kind === 'plateau')).toEqual([]);
    const flat = feed(epochs(60, () => ({ train_loss: 2.3 })));
    expect(flat.findings.filter((f) => f.kind === 'plateau')).toEqual([]);
  });

  it('leaves a validation stall while training loss keeps falling to overfitting (its first stage)', () => {
    const fed = feed(epochs(16, (e) => ({ train_loss: 0.18 - 0.004 * e, val_loss: 0.072 + 0.001 * Math.sin(e) })));
    expect(serious(fed, 'plateau')).toEqual([]);
    // Eight evaluations without 2% of progress; the wiggle's last 2% dip is at epoch 5.
    expect(raisedAt(fed, 'overfitting')).toBeGreaterThanOrEqual(8);
    expect(raisedAt(fed, 'overfitting')).toBeLessThanOrEqual(13);
    const [f] = serious(fed, 'overfitting');
    expect(f.message).toMatch(/^val_loss has not improved for \d+ evaluations .* the first stage of overfitting/);
    expect(f.actions[0]).toMatch(/^stop at epoch \d+/);
  });

  it('does not call a training loss that stalls while validation still improves a plateau', () => {
    const rows = epochs(40, (e) => ({ train_loss: e < 10 ? 2 - e * 0.1 : 1.0 + 0.01 * Math.sin(e), val_loss: 1.5 - e * 0.02 }));
    expect(serious(feed(rows), 'plateau')).toEqual([]);
  });

  it('stays silent on a validation stall once training has converged, or when training is flat too', () => {
    const converged = feed(epochs(60, (e) => ({ train_loss: 2 * Math.exp(-e / 3), val_loss: e < 10 ? 1 / e : 0.1 })));
    expect(converged.findings.filter((f) => f.kind === 'plateau' || f.kind === 'overfitting')).toEqual([]);
    const flat = feed(epochs(12, () => ({ train_loss: 0.18, val_loss: 0.072 })));
    expect(flat.findings.filter((f) => f.kind === 'plateau' || f.kind === 'overfitting')).toEqual([]);
  });

  it('resolves when the loss starts improving again (e.g. after an LR decay)', () => {
    const fed = feed(epochs(50, (e) => (e <= 35 ? stalls(e) : { train_loss: 1 - 0.03 * (e - 35), lr: 0.001 })));
    expect(raisedAt(fed, 'plateau')).toBeGreaterThan(15);
    expect(resolvedAt(fed, 'plateau')).toBeGreaterThan(35);
  });
});
