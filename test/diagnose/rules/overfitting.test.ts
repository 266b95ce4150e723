import { describe, expect, it } from 'vitest';
import { RunContext } from '../../../src/context/run-context.ts';
import { RunDiagnoser } from '../../../src/diagnose/engine.ts';
import { epochs, feed, oneMetricPerRow, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

/** Validation loss lowest at epoch 10 (0.3), then rising; training loss keeps falling. */
const ushape = (e: number) => ({ train_loss: 2 * Math.exp(-e / 4), val_loss: 0.3 + 0.004 * (e - 10) ** 2 });

describe('overfitting rule', () => {
  it('fires when validation loss rises from its minimum while training loss keeps falling', () => {
    const fed = feed(epochs(30, ushape));
    const at = raisedAt(fed, 'overfitting');
    expect(at).toBeGreaterThan(10);
    expect(at).toBeLessThanOrEqual(16);
    const found = serious(fed, 'overfitting');
    expect(found).toHaveLength(1);
    expect(found[0].evidence.best_epoch).toBe(10);
    expect(found[0].actions[0]).toMatch(/^stop at epoch 10 \(val_loss 0\.3\) where val_loss was best/);
    expect(found[0].actions[1]).toMatch(/weight decay/);
  });

  it('reads the validation loss when each metric comes in an event of its own, the accuracy first', () => {
    const rows = epochs(30, (e) => ({ ...ushape(e), train_acc: 1 - Math.exp(-e / 4), val_acc: 0.9 - 0.002 * (e - 10) ** 2 }));
    const fed = feed(oneMetricPerRow(rows, ['train_acc', 'train_loss', 'val_acc', 'val_loss']));
    const [f] = serious(fed, 'overfitting');
    expect(f.evidence.metric).toBe('val_loss');
    expect(f.evidence.best_epoch).toBe(10);
  });

  it('reads three evaluations: a rise from the first is overfitting, a rise no larger than the fall before it is movement', () => {
    const short = feed(epochs(3, (e) => ({ train_loss: [0.39, 0.23, 0.11][e - 1], val_loss: [0.318, 0.32, 0.443][e - 1] })));
    expect(raisedAt(short, 'overfitting')).toBe(2);
    const moving = feed(epochs(3, (e) => ({ train_loss: [1.79, 1.07, 0.74][e - 1], val_loss: [1.53, 1.16, 1.5][e - 1] })));
    expect(serious(moving, 'overfitting')).toEqual([]);
  });

  it('judges a jumpy rise against the scatter the curve had at its best, not the scatter the rise adds', () => {
    // A noisy validation loss, flat near 0.4 for thirty evaluations, then rising in jumps from row 36.
    const val = [1.16, 0.97, 0.69, 0.54, 0.43, 0.42, 0.48, 0.42, 0.47, 0.44, 0.38, 0.41, 0.44, 0.47, 0.46, 0.4, 0.44, 0.43, 0.41, 0.43, 0.4, 0.37, 0.38, 0.46, 0.37, 0.39, 0.43, 0.4, 0.44, 0.39, 0.37, 0.49, 0.41, 0.43, 0.43, 0.42, 0.79, 0.55, 0.62, 0.75, 0.47, 0.5, 0.52, 0.48, 0.58, 0.6, 0.67, 0.93, 0.9, 0.82];
    const fed = feed(epochs(val.length, (e) => ({ train_loss: e < 6 ? 1.2 - 0.12 * e : 0.5 - 0.002 * e, val_loss: val[e - 1] })));
    expect(raisedAt(fed, 'overfitting')).toBe(38);
  });

  it('sees a steady climb through a noisy validation loss by its fitted slope, before any one level clears the scatter', () => {
    // Best near epoch 15, then a climb of 1% of the best per epoch under a scatter of 8%.
    const r = noise(7);
    const val = (e: number) => (e <= 15 ? 0.6 + 1.6 * Math.exp(-e / 3) : 0.6 * (1 + 0.01 * (e - 15))) * (1 + 0.08 * r());
    const fed = feed(epochs(90, (e) => ({ train_loss: 2 * Math.exp(-e / 20), val_loss: val(e) })));
    const warnedAt = fed.changes.findIndex((cs) => cs.some((c) => c.finding.kind === 'overfitting' && c.finding.severity !== 'info')) + 1;
    // The running median is 25% above the best (the warning's own bar) at epoch 40; four scatters
    // of level alone were cleared only at epoch 49.
    expect(warnedAt).toBe(40);
    // Flat noise of the same size after the best is no climb.
    const flat = feed(epochs(90, (e) => ({ train_loss: 2 * Math.exp(-e / 20), val_loss: (e <= 15 ? 0.6 + 1.6 * Math.exp(-e / 3) : 0.6) * (1 + 0.08 * r()) })));
    expect(serious(flat, 'overfitting')).toEqual([]);
  });

  it('does not claim the training loss kept improving before it knows where it stood', () => {
    // Validation every half epoch from step 0 (before any training loss), bouncing at a too large lr.
    const val = [0.622, 0.718, 0.629, 0.78, 0.853, 0.733, 0.696];
    const rows = val.map((v, i): Record<string, number> => (i % 2 ? { step: i, val_loss: v, train_loss: [0.659, 0.534, 0.775][(i - 1) / 2] } : { step: i, val_loss: v }));
    expect(serious(feed(rows), 'overfitting')).toEqual([]);
  });

  it('keeps the numbers of a finding near the present while the condition lasts', () => {
    const fed = feed(epochs(120, ushape));
    const [f] = serious(fed, 'overfitting');
    // Re-described at least every tenth of the condition's life: never more than ~10% behind.
    expect(Number(/at epoch (\d+) while/.exec(f.message)![1])).toBeGreaterThanOrEqual(108);
  });

  it('escalates to critical once validation loss has doubled', () => {
    const fed = feed(epochs(40, ushape));
    expect(serious(fed, 'overfitting')[0].severity).toBe('critical');
    const change = fed.changes.flat().find((c) => c.type === 'finding_updated' && c.previous === 'warning');
    expect(change?.finding.severity).toBe('critical');
  });

  it('stays silent on a flat but noisy validation loss and when training loss rises too', () => {
    const r = noise(2);
    const noisy = feed(epochs(80, (e) => ({ train_loss: 1 / e, val_loss: 0.03 * (1 + 0.4 * r()) })));
    expect(serious(noisy, 'overfitting')).toEqual([]);
    const both = feed(epochs(30, (e) => ({ train_loss: 0.3 + 0.004 * (e - 10) ** 2, val_loss: 0.3 + 0.004 * (e - 10) ** 2 })));
    expect(serious(both, 'overfitting')).toEqual([]);
  });

  it('notes a validation loss that stays flat at its best while training loss falls, and warns once it creeps above it', () => {
    // Converged: validation within its own scatter of its best for 40 epochs while the training
    // loss halves. Early stopping would stop here; nothing has gone wrong.
    const r = noise(4);
    const train = (e: number): number => 0.11 * Math.exp(-e / 12) + 0.012;
    const val = (e: number): number => 0.054 + 0.25 * Math.exp(-e / 3);
    const flat = feed(epochs(60, (e) => ({ train_loss: train(e), val_loss: val(e) * (1 + 0.01 * r()) })));
    expect(serious(flat, 'overfitting')).toEqual([]);
    expect(flat.findings.filter((f) => f.kind === 'overfitting').map((f) => f.severity)).toContain('info');
    // Creeping up by 0.15% an epoch, a few scatters above its best by the end: the first stage.
    const creeping = feed(epochs(60, (e) => ({ train_loss: train(e), val_loss: val(e) * (1 + 0.01 * r()) * (1 + 0.0015 * Math.max(0, e - 20)) })));
    expect(serious(creeping, 'overfitting')).toHaveLength(1);
  });

  it('does not call a stalled validation loss the first stage of overfitting while a validation score still rises', () => {
    // A detector: its box loss on held-out images creeps up from 0.95 while mAP50 climbs from 0.38 to 0.93.
    const r = noise(6);
    const rows = (score: (e: number) => number) =>
      epochs(24, (e) => ({ 'train/box_loss': 1.4 - 0.02 * e, 'val/box_loss': 0.95 + 0.004 * Math.max(0, e - 6) + 0.005 * r(), 'metrics/mAP50(B)': score(e) }));
    expect(serious(feed(rows((e) => 0.38 + 0.024 * e)), 'overfitting')).toEqual([]);
    // The same run with mAP flat from the start: nothing improves on held-out data any more.
    expect(serious(feed(rows(() => 0.8 + 0.002 * r())), 'overfitting')).toHaveLength(1);
    // The score logged in an event of its own, before or after the validation loss, still counts.
    for (const order of [['train/box_loss', 'metrics/mAP50(B)', 'val/box_loss'], ['train/box_loss', 'val/box_loss', 'metrics/mAP50(B)']]) {
      expect(serious(feed(oneMetricPerRow(rows((e) => 0.38 + 0.024 * e), order)), 'overfitting')).toEqual([]);
    }
    // Every event at one time (a history posted in one batch, a log stamped to the second): each
    // new score is still read as new.
    const ctx = new RunContext('test');
    const diagnoser = new RunDiagnoser('test', [], { now: () => 1_000 });
    for (const { epoch, ...values } of rows((e) => 0.38 + 0.024 * e)) {
      const update = ctx.apply({ type: 'metrics', epoch, values, ts: 1_700_000_000_000 });
      if (update) diagnoser.evaluate(ctx, update);
    }
    expect(diagnoser.all().filter((f) => f.kind === 'overfitting' && f.severity !== 'info')).toEqual([]);
  });

  it('uses validation accuracy when the run logs no validation loss', () => {
    const fed = feed(epochs(30, (e) => ({ train_acc: Math.min(1, 0.5 + e / 20), val_acc: e <= 10 ? 0.5 + 0.03 * e : 0.8 - 0.012 * (e - 10) })));
    expect(serious(fed, 'overfitting')).toHaveLength(1);
    expect(serious(fed, 'overfitting')[0].evidence.metric).toBe('val_acc');
  });

  it('resolves when validation loss comes back near its minimum', () => {
    const fed = feed(epochs(40, (e) => (e <= 20 ? ushape(e) : { train_loss: 0.001, val_loss: 0.3 + 0.001 * (e % 2) })));
    expect(raisedAt(fed, 'overfitting')).toBeGreaterThan(10);
    expect(resolvedAt(fed, 'overfitting')).toBeGreaterThan(20);
  });
});
