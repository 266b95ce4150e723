import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { FIXTURES } from '../helpers/datasets.ts';
import { Smoothed } from '../../src/diagnose/smooth.ts';
import { epochs, feed, noise, raisedAt, serious } from './feed.ts';

// The ways single points, first values, schedules and scales used to mislead the rules, each as a
// run a user could send. Healthy look-alikes must stay silent; real problems must be named.
describe('judgement that one point, a first value or a schedule cannot mislead', () => {
  it("judges a rise against the scatter the metric had at its best, so the rise's own jumps do not hide it", () => {
    // A per-step loss of a conv net at an unstable momentum: it falls to about 0.3, then climbs in jumps.
    const values = [2.31, 2.24, 2.13, 1.79, 1.33, 0.46, 0.41, 0.28, 1.12, 1.17, 0.28, 0.25, 0.55, 0.56, 0.6, 0.5, 0.04, 0.3, 0.11, 0.35, 0.42, 2.45, 0.46, 0.29, 0.24, 0.78, 0.38, 0.21, 0.58, 0.99, 0.1, 0.98, 0.22, 0.31, 0.93, 2.23, 1.73, 0.69, 0.55, 3.4];
    const s = new Smoothed();
    for (const [i, v] of values.entries()) s.push(v, i, null);
    // The current estimate has grown with the jumps; the one at the best has not.
    expect(s.noise).toBeGreaterThan(2 * s.noiseAtBest);
    expect(s.level - s.best).toBeLessThan(5 * s.noise);
    expect(s.risenClear(5)).toBe(true);
  });

  it('sees an overfit behind a huge first validation loss', () => {
    const val = [17, 0.9, 0.7, 0.6, 0.62, 0.7, 0.8, 0.95, 1.1, 1.3, 1.5, 1.7];
    const fed = feed(epochs(val.length, (e) => ({ train_loss: 2 / e, val_loss: val[e - 1] })));
    expect(serious(fed, 'overfitting')).toHaveLength(1);
  });

  it('reports a blow-up on the very last logged point', () => {
    const rows = epochs(12, (e) => ({ train_loss: e < 12 ? 2 / e : 1e18 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'divergence')).toBe(11);
    expect(serious(fed, 'divergence')[0].severity).toBe('critical');
  });

  it('does not take the lucky low batch of a noisy per-batch loss for a level to return to', () => {
    const r = noise(21);
    // Per-batch losses around 0.9, now and then a batch at 0.08.
    const rows = Array.from({ length: 600 }, (_, i) => ({ step: i, train_loss: i % 97 === 5 ? 0.08 : 0.9 * (1 + 0.35 * r()) }));
    expect(serious(feed(rows), 'divergence')).toEqual([]);
  });

  it('expects the loss to react to warm restarts of the logged learning rate', () => {
    // SGDR: lr back to its peak every 20 epochs; the loss bumps 1.6x and settles lower each cycle.
    const rows = epochs(80, (e) => {
      const t = (e - 1) % 20;
      const cycle = Math.floor((e - 1) / 20);
      return { lr: 0.1 * (0.5 + 0.5 * Math.cos((Math.PI * t) / 20)), train_loss: (0.5 / (cycle + 1)) * (1 + 0.6 * Math.exp(-t / 2)) };
    });
    const fed = feed(rows);
    expect(serious(fed, 'divergence')).toEqual([]);
    expect(serious(fed, 'oscillation')).toEqual([]);
  });

  it('never advises raising a learning rate that is already far too high', () => {
    const fed = feed(epochs(30, () => ({ train_loss: 2.3026, lr: 20 })));
    expect(serious(fed, 'lr_too_low')).toEqual([]);
  });

  it('judges the per-step series of a quantity logged per step and per epoch, not its few epoch points', () => {
    // Lightning: train_loss_step every 10 steps blows up in epoch 3; train_loss_epoch only 3 points.
    const rows: Array<Record<string, number>> = [];
    for (let s = 1; s <= 30; s++) rows.push({ step: s * 10, train_loss_step: s <= 20 ? 2 / Math.sqrt(s) : 0.45 * 3 ** (s - 20) });
    for (let e = 0; e < 3; e++) rows.splice((e + 1) * 10 + e, 0, { step: (e + 1) * 100, epoch: e, train_loss_epoch: 1 - e * 0.2 });
    const fed = feed(rows);
    expect(fed.ctx.get('train_loss')!.source).toBe('train_loss_step');
    expect(serious(fed, 'divergence')).toHaveLength(1);
  });

  it('reads values printed with four decimals as no finer than their last digit', async () => {
    // A healthy regression run's losses at a hundredth of their scale, printed as Keras prints
    // them: the converged loss sits at one or two units of the last digit, where rounding looks
    // like a stall.
    const run = await importFile(path.join(FIXTURES, 'corpus/reg-mlp-healthy-sgdm-step-s1/train.log'));
    const rows = run.events.flatMap((e): Array<Record<string, number>> => {
      if (e.type !== 'metrics') return [];
      const values = Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k, /loss/.test(k) ? Math.round(v * 100) / 1e4 : v]));
      return [{ ...values, ...(e.epoch === undefined ? {} : { epoch: e.epoch }), ...(e.step === undefined ? {} : { step: e.step }) }];
    });
    expect(rows.some((r) => r.val_loss === 0.0001)).toBe(true);
    expect(feed(rows).findings.filter((f) => f.severity !== 'info').map((f) => f.kind)).toEqual([]);
    // At a scale where four decimals tell the loss well, a genuine stall is still seen.
    const r = noise(3);
    const stalled = feed(epochs(40, (e) => ({ train_loss: Math.round((0.7 + 1.6 * Math.exp(-e / 3)) * (1 + 0.01 * r()) * 1e4) / 1e4 })));
    expect(serious(stalled, 'plateau')).toHaveLength(1);
  });
});
