import { describe, expect, it } from 'vitest';
import { epochs, feed, noise, noisyFinetune, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('oscillation rule', () => {
  it('fires on large swings both ways and suggests a lower lr and less momentum', () => {
    const swings = [2.3, 1.2, 3.1, 0.9, 2.8, 1.0, 2.9];
    const fed = feed(epochs(swings.length, (e) => ({ train_loss: swings[e - 1], lr: 0.25 })));
    // At the second large rise: one rise and the fall back from it could be a single spike.
    expect(raisedAt(fed, 'oscillation')).toBe(4);
    const [f] = serious(fed, 'oscillation');
    expect(f.actions[0]).toBe('lower lr from 0.25 to 0.075');
    expect(f.actions[1]).toMatch(/momentum/);
  });

  it('does not call a single spike the run recovers from an oscillation, however large', () => {
    const spike = feed(epochs(12, (e) => ({ train_loss: [2.8, 1.9, 0.9, 4.7, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36, 0.35][e - 1] })));
    expect(serious(spike, 'oscillation')).toEqual([]);
  });

  it('judges a loss that fell by orders of magnitude on a log scale: swings far below its start count', () => {
    const values = [8e7, 1e8, 3e7, 2.6e5, 4e6, 1, 3.4, 17, 36, 9, 6, 5, 7e5, 5e5, 8e4, 1.1, 8, 16, 2e6, 3e6, 12, 11];
    const fed = feed(values.map((v, i) => ({ step: i, train_loss: v })));
    expect(serious(fed, 'oscillation')).toHaveLength(1);
  });

  it('stays silent on a smooth descent and on noisy step-level losses', () => {
    const smooth = feed(epochs(50, (e) => ({ train_loss: 2.3 * Math.exp(-e / 5), val_loss: 2.3 * Math.exp(-e / 6) + 0.1 })));
    expect(smooth.findings.filter((f) => f.kind === 'oscillation')).toEqual([]);
    const r = noise(11);
    const rows = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, train_loss: (2 * Math.exp(-i / 200) + 0.3) * (1 + 0.15 * r()) }));
    expect(feed(rows).findings.filter((f) => f.kind === 'oscillation')).toEqual([]);
  });

  it('raises a loss that rose and then swings around its new level: the divergence does not explain the swings', () => {
    const values = [2.7, 2.6, 9.0, 10.7, 7.6, 3.3, 3.4, 10.3, 6.2, 9.5, 6.9, 9.7, 4.3, 2.6, 4.1, 9.5, 4.8, 8.0];
    const fed = feed(epochs(values.length, (e) => ({ train_loss: values[e - 1], lr: 2 })));
    expect(serious(fed, 'divergence')).toHaveLength(1);
    expect(serious(fed, 'oscillation')).toHaveLength(1);
  });

  it("does not take a noisy loss's first scatter for swings before its typical move is known", () => {
    const values = [2.3, 1.5, 2.4, 1.55, 2.4, 1.7, 2.1, 1.8, 2.0, 1.9, 1.95, 1.85];
    const fed = feed(values.map((v, i) => ({ step: i + 1, train_loss: v })));
    expect(serious(fed, 'oscillation')).toEqual([]);
  });

  it('judges a validation loss as the mean it is: 3x swings between evaluations are large, however often they happen', () => {
    const val = [1.53, 1.16, 1.5, 0.66, 0.64, 0.84, 0.45, 0.62, 1.89, 0.57, 1.67, 0.56];
    const fed = feed(epochs(val.length, (e) => ({ train_loss: 1.2 * Math.exp(-e / 6), val_loss: val[e - 1] })));
    expect(serious(fed, 'oscillation')).toHaveLength(1);
    expect(serious(fed, 'oscillation')[0].evidence.metric).toBe('val_loss');
  });

  it("does not take single batches logged every dozen epochs for epoch means: their scatter is a batch's", () => {
    // Four steps an epoch, a batch's loss logged every fifty steps (Lightning writes the epoch in progress).
    const values = [0.126, 0.0211, 0.123, 0.135, 0.0668, 0.0327, 0.0103, 0.0864];
    const fed = feed(values.map((v, i) => ({ step: 49 + 50 * i, epoch: Math.floor(((49 + 50 * i) * 12) / 49), train_loss: v })));
    expect(serious(fed, 'oscillation')).toEqual([]);
  });

  it('does not make log-scale swings of one batch that scored near zero', () => {
    // A one-cycle run at its lr peak: one real bump (0.05 to 0.48) it recovers from, then one
    // batch at 1e-4 between batches near 0.02. On a log scale the dip is 160x down and back.
    const values = [2.3, 1.1, 0.6, 0.35, 0.2, 0.14, 0.1, 0.09, 0.07, 0.08, 0.05, 0.48, 0.27, 0.16, 0.016, 1e-4, 0.018, 0.031, 0.022, 0.025];
    const fed = feed(values.map((v, i) => ({ step: (i + 1) * 10, train_loss: v })));
    expect(serious(fed, 'oscillation')).toEqual([]);
    // The same curve swinging between levels it holds for a few points each time oscillates.
    const held = [2.3, 1.1, 0.6, 0.35, 0.2, 0.14, 0.1, 0.09, 0.07, 0.08, 0.6, 0.7, 0.65, 0.08, 0.07, 0.09, 0.7, 0.6, 0.75, 0.08, 0.07, 0.6, 0.65];
    expect(serious(feed(epochs(held.length, (e) => ({ train_loss: held[e - 1] }))), 'oscillation')).toHaveLength(1);
  });

  it('does not take two single-point outliers, a spike and a dip a dozen points apart, for swings', () => {
    // A recurrent net's per-step loss falling from 2.2 to about 0.2, with one batch at 1.04 and one at 0.012.
    const base = Array.from({ length: 40 }, (_, i) => 0.2 + 2 * Math.exp(-i / 4) + 0.02 * Math.sin(i));
    base[20] = 1.04;
    base[33] = 0.012;
    const fed = feed(base.map((v, i) => ({ step: (i + 1) * 10, train_loss: v })));
    expect(serious(fed, 'oscillation')).toEqual([]);
  });

  it("judges an epoch's mean training loss without the batch-noise yardstick: 1.6x swings between epochs are large", () => {
    // Flat around 7, swinging by 1.6x to 2.5x between epochs: averaging over an epoch leaves no batch noise to excuse it.
    const values = [4.1, 5.6, 5.6, 4.1, 6.0, 6.2, 5.9, 7.9, 7.4, 12.1, 6.8, 7.1, 6.7, 5.8, 5.5, 8.1, 8.0, 8.2, 7.8, 7.8, 12.5, 7.0, 4.7, 4.3, 10.8, 13.7, 13.0];
    const perEpoch = feed(epochs(values.length, (e) => ({ train_loss: values[e - 1] })));
    expect(serious(perEpoch, 'oscillation')).toHaveLength(1);
    // The same numbers as per-step losses are a noisy loss's routine moves.
    const perStep = feed(values.map((v, i) => ({ step: i + 1, train_loss: v })));
    expect(serious(perStep, 'oscillation')).toEqual([]);
  });

  it('resolves once ten points pass without a large swing', () => {
    const values = [2.3, 1.2, 3.1, 0.9, 2.8, ...Array(15).fill(1.0)];
    const fed = feed(epochs(values.length, (e) => ({ train_loss: values[e - 1] })));
    expect(raisedAt(fed, 'oscillation')).toBe(4);
    expect(resolvedAt(fed, 'oscillation')).toBe(15);
  });
  it('stays silent on healthy fine-tunes whose step losses scatter by ±20% (ten seeds)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(serious(feed(noisyFinetune(seed, 0.2)), 'oscillation'), `seed ${seed}`).toEqual([]);
    }
  });
});
