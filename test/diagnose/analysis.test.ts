import { describe, expect, it } from 'vitest';
import { RunAnalysis } from '../../src/domain/analysis.ts';
import { analyzeRun, compareRuns, overfittingScore, pairComparison } from '../../src/diagnose/analysis.ts';
import { diagnoseEvents } from '../../src/diagnose/engine.ts';
import { epochs, feed, noise } from './feed.ts';

function analysed(rows: Array<Record<string, number>>) {
  const fed = feed(rows);
  return RunAnalysis.parse(analyzeRun(fed.ctx, fed.findings));
}

const healthy = epochs(30, (e) => ({ train_loss: 2 * Math.exp(-e / 5) + 0.05, val_loss: 2 * Math.exp(-e / 6) + 0.1, epoch_time: 10 + (e % 3) }));
const overfit = epochs(40, (e) => ({ train_loss: 2 * Math.exp(-e / 4), val_loss: 0.3 + 0.004 * (e - 10) ** 2, epoch_time: 12 }));

describe('run analysis', () => {
  it('summarises epochs, the best epoch and value, and epoch times', () => {
    const a = analysed(healthy);
    expect(a.summary).toMatchObject({ total_epochs: 30, best_metric: 'val_loss', best_epoch: 30 });
    expect(a.summary.best_value).toBeCloseTo(2 * Math.exp(-5) + 0.1, 6);
    expect(a.summary.total_time_s).toBe(healthy.reduce((s, r) => s + r.epoch_time, 0));
    expect(a.summary.avg_epoch_time_s).toBeCloseTo(a.summary.total_time_s! / 30, 9);
  });

  it('reports falling slopes and converging / converged status for a healthy run', () => {
    const early = analysed(healthy.slice(0, 8));
    expect(early.stability.train_loss_slope!).toBeLessThan(0);
    expect(early.stability.val_loss_relative!).toBeLessThan(-0.05);
    expect(early.convergence).toBe('converging');
    const late = analysed(epochs(300, (e) => ({ train_loss: 2 * Math.exp(-e / 5) + 0.05, val_loss: 2 * Math.exp(-e / 6) + 0.1 })));
    expect(late.convergence).toBe('converged');
    expect(late.overfitting.score).toBeLessThan(0.3);
  });

  it('scores overfitting from the validation rise and the gap, and flags diverging runs', () => {
    const a = analysed(overfit);
    expect(a.overfitting.score).toBeGreaterThan(0.75);
    expect(a.overfitting.val_rise!).toBeGreaterThan(1);
    expect(a.problems).toEqual(['overfitting']);
    // The validation loss rises because the model overfits; training itself still converges.
    expect(a.convergence).not.toBe('diverging');
    const blown = analysed(epochs(20, (e) => ({ train_loss: e < 10 ? 1 / e : 10 * 2 ** (e - 10) })));
    expect(blown.convergence).toBe('diverging');
  });

  it('scores a healthy run with a noisy validation loss low, and below an overfitting one', () => {
    const r = noise(4);
    const noisy = analysed(epochs(60, (e) => ({ train_loss: 2 * Math.exp(-e / 8) + 0.1, val_loss: (2 * Math.exp(-e / 8) + 0.2) * (1 + 0.25 * r()) })));
    expect(noisy.problems).not.toContain('overfitting');
    expect(noisy.overfitting.score).toBeLessThan(0.5);
    expect(noisy.overfitting.score).toBeLessThan(analysed(overfit).overfitting.score);
  });

  it('takes the best value from a metric that has one when validation loss was never finite', () => {
    const a = analysed(epochs(10, (e) => ({ train_loss: 1 / e, val_loss: NaN })));
    expect(a.summary.best_metric).toBe('train_loss');
    expect(a.summary.best_value).toBeCloseTo(0.1, 9);
  });

  it('gives no training time for a file without times, and the span of the times a file carries', () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ type: 'metrics' as const, step: i, values: { loss: 1 / (i + 1) } }));
    expect(diagnoseEvents('r', rows).summary.summary.total_time_s).toBeNull();
    const timed = rows.map((e, i) => ({ ...e, ts: 1_000_000 + i * 60_000 }));
    expect(diagnoseEvents('r', timed).summary.summary.total_time_s).toBe(19 * 60);
  });

  it('scores 0 without a validation loss', () => {
    const fed = feed(epochs(10, (e) => ({ train_loss: 1 / e })));
    expect(overfittingScore(fed.ctx)).toEqual({ score: 0, val_rise: null, generalisation_gap: null });
  });

  it('compares two runs: better performer, best-loss difference, epochs-to-converge difference', () => {
    const a = { ...analysed(healthy), run: 'a' };
    const b = { ...analysed(overfit), run: 'b' };
    const c = pairComparison(a, b);
    expect(c.better).toBe('a');
    expect(c.metric).toBe('val_loss');
    expect(c.best_difference).toBeCloseTo(a.summary.best_value! - b.summary.best_value!, 9);
    expect(c.epochs_to_converge_difference).toBe(30 - 10);
    expect(c.reason).toContain('a reaches the lower val_loss');
    expect(pairComparison(b, a).better).toBe('b');
    expect(pairComparison(a, { ...a, run: 'a2' }).better).toBe('tie');
  });

  it('ranks any number of runs on the metric most of them report, ties sharing a rank and runs without it last', () => {
    const best = { ...analysed(healthy), run: 'best' };
    const worse = { ...analysed(overfit), run: 'worse' };
    const same = { ...best, run: 'same' };
    const trainOnly = { ...analysed(epochs(10, (e) => ({ train_loss: 1 / e }))), run: 'train-only' };
    const r = compareRuns([trainOnly, worse, same, best]);
    expect(r.metric).toBe('val_loss');
    expect(r.lower_is_better).toBe(true);
    expect(r.ranking.map((x) => [x.run, x.rank])).toEqual([['same', 1], ['best', 1], ['worse', 3], ['train-only', null]]);
    const w = r.ranking[2];
    expect(w.best_difference).toBeCloseTo(worse.summary.best_value! - best.summary.best_value!, 9);
    expect(w.epochs_to_converge_difference).toBe(10 - 30);
    expect(r.ranking[0].best_difference).toBe(0);
    // Without two runs on one metric there is nothing to rank.
    expect(compareRuns([trainOnly, { ...worse, summary: { ...worse.summary, best_metric: null, best_value: null } }]).ranking.every((x) => x.rank === null)).toBe(true);
  });
});
