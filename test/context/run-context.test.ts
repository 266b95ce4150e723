import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RunContext } from '../../src/context/run-context.ts';
import { Window } from '../../src/context/window.ts';
import { lttb } from '../../src/context/downsample.ts';

describe('Window', () => {
  it('keeps mean, std and slope of the last points exactly', () => {
    const w = new Window(4);
    for (let i = 0; i < 10; i++) w.push(i, 2 * i + 1);
    expect(w.size).toBe(4);
    expect(w.mean()).toBeCloseTo(2 * 7.5 + 1);
    expect(w.slope()).toBeCloseTo(2);
    expect(w.back(0)).toBe(19);
    expect(w.points().map(([x]) => x)).toEqual([6, 7, 8, 9]);
  });

  it('stays accurate after millions of pushes (running sums re-based)', () => {
    const w = new Window(64);
    for (let i = 0; i < 2_000_000; i++) w.push(1e6 + i, Math.sin(i / 10) + i * 1e-3);
    const pts = w.points();
    const n = pts.length;
    const mx = pts.reduce((a, [x]) => a + x, 0) / n;
    const my = pts.reduce((a, [, y]) => a + y, 0) / n;
    const slope = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    expect(w.slope()).toBeCloseTo(slope, 6);
    expect(w.mean()).toBeCloseTo(my, 6);
  });
});

describe('RunContext', () => {
  it('numbers logged points: events at one step and epoch with no name in common share one', () => {
    const ctx = new RunContext('r');
    const point = (step: number | undefined, values: Record<string, number>, epoch?: number) => ctx.apply({ type: 'metrics', step, epoch, values, ts: 1 })!.point;
    expect([point(1, { loss: 1 }), point(1, { grad_norm: 2 }), point(1, { lr: 0.1 })]).toEqual([1, 1, 1]);
    // The same name again at the same step is another point (a run that logs no step counter).
    expect(point(1, { loss: 0.9 })).toBe(2);
    expect([point(2, { loss: 0.8 }), point(2, { val_loss: 1 }, 1)]).toEqual([3, 4]);
    // Without step or epoch nothing says two events are one point.
    expect([point(undefined, { loss: 1 }), point(undefined, { lr: 0.1 })]).toEqual([5, 6]);
  });

  it('maps names to canonical series, normalises percent accuracy, keeps names as sent', () => {
    const ctx = new RunContext('r');
    const u = ctx.apply({ type: 'metrics', step: 1, epoch: 1, ts: 1, values: { 'train/loss': 0.9, 'Validation Accuracy': 78.9, eval_loss: 1.1, 'grad_norm/layer.0': 0.01 } });
    expect([...u!.values.keys()].sort()).toEqual(['grad_norm/layer.0', 'train_loss', 'val_acc', 'val_loss']);
    expect(ctx.get('val_acc')!.last).toBeCloseTo(0.789);
    expect(ctx.latest.get('Validation Accuracy')!.value).toBe(78.9);
  });

  it('marks the update where training started over: the epoch of a run without steps back at its first', () => {
    const ctx = new RunContext('r');
    const at = (epoch: number) => ctx.apply({ type: 'metrics', epoch, ts: epoch, values: { loss: 1 / (epoch + 1) } })!.restarted;
    expect([0, 1, 2, 3].map(at)).toEqual([false, false, false, false]);
    // A resumed run repeats a few epochs: not a start over. Back to the first epoch is one.
    expect([2, 3, 4, 0, 1].map(at)).toEqual([false, false, false, true, false]);
    expect(ctx.recent.at(-1)).toMatchObject({ type: 'restart', text: 'training started over: epoch 4 -> 0' });
  });

  it('reads a step that starts again with every epoch as a count within the epoch, not a start over', () => {
    const ctx = new RunContext('r');
    // The update is one reused object: read it at once.
    const at = (epoch: number, step: number) => {
      const u = ctx.apply({ type: 'metrics', epoch, step, ts: epoch * 1000 + step, values: { loss: 1 / (epoch + step) } })!;
      return [u.restarted, u.step, u.epoch];
    };
    expect([1, 2, 3].map((step) => at(1, step))).toEqual([[false, 1, 1], [false, 2, 1], [false, 3, 1]]);
    // Epoch 2 counts its steps from 1 again: the epoch places the points from now on.
    expect([1, 2, 3].map((step) => at(2, step))).toEqual([[false, null, 2], [false, null, 2], [false, null, 2]]);
    expect(ctx.step).toBeNull();
    expect(ctx.get('train_loss')!.count).toBe(6);
    // Back to the first epoch is a start over, as for a run without steps.
    expect(at(1, 1)[0]).toBe(true);
  });

  it('still reads a step that goes back while the epoch does not move on as a start over', () => {
    const ctx = new RunContext('r');
    const at = (epoch: number, step: number) => ctx.apply({ type: 'metrics', epoch, step, ts: step, values: { loss: 1 } })!.restarted;
    expect([at(1, 10), at(1, 20), at(2, 30), at(1, 10)]).toEqual([false, false, false, true]);
  });

  it('reads durations given in milliseconds as seconds, keeping the value as sent', () => {
    const ctx = new RunContext('r');
    ctx.apply({ type: 'metrics', step: 20, ts: 1, values: { 'ms/batch': 762.09, loss: 1.8 } });
    expect(ctx.get('step_time')!.last).toBeCloseTo(0.76209);
    expect(ctx.latest.get('ms/batch')!.value).toBe(762.09);
  });

  it('reads a perplexity as the logarithm of the loss it trains, only where no loss is logged', () => {
    const ctx = new RunContext('r');
    ctx.apply({ type: 'metrics', step: 100, ts: 1, values: { train_ppl: Math.E ** 3, val_ppl: 0 } });
    expect(ctx.get('train_loss')!.last).toBeCloseTo(3);
    expect(ctx.latest.get('train_ppl')!.value).toBeCloseTo(Math.E ** 3);
    // Zero is no perplexity: kept as sent, not read as a loss of minus infinity.
    expect(ctx.get('val_loss')).toBeUndefined();
    const both = new RunContext('b');
    for (let i = 1; i <= 5; i++) both.apply({ type: 'metrics', step: i, ts: i, values: { loss: 2, perplexity: Math.E ** 2 } });
    expect(both.series.get('train_loss')!.source).toBe('loss');
  });

  it('feeds a quantity from its step- or epoch-level name, whichever carries more points', () => {
    const ctx = new RunContext('r');
    // Lightning: step values every few steps, one epoch value per epoch: the step series stays.
    for (let e = 0; e < 5; e++) {
      for (let k = 1; k <= 10; k++) ctx.apply({ type: 'metrics', step: e * 10 + k, ts: e * 20 + k, values: { train_loss_step: 5 - e - k / 20 } });
      ctx.apply({ type: 'metrics', step: e * 10 + 10, epoch: e, ts: e * 20 + 15, values: { train_loss_epoch: 4.7 - e } });
    }
    expect(ctx.get('train_loss')!.source).toBe('train_loss_step');
    expect(ctx.get('train_loss')!.count).toBe(50);
    // Steps logged once every few epochs: the epoch series, once it has twice the points, takes over.
    const sparse = new RunContext('r');
    for (let e = 0; e < 30; e++) {
      if (e % 5 === 0) sparse.apply({ type: 'metrics', step: e * 4 + 1, ts: e * 2, values: { train_loss_step: 3 - e / 20 } });
      sparse.apply({ type: 'metrics', step: e * 4 + 4, epoch: e, ts: e * 2 + 1, values: { train_loss_epoch: 3 - e / 20 } });
    }
    expect(sparse.get('train_loss')!.source).toBe('train_loss_epoch');
  });

  it('lets an exact name take a quantity over from a step-level one', () => {
    const ctx = new RunContext('r');
    ctx.apply({ type: 'metrics', step: 1, ts: 1, values: { train_loss_step: 5 } });
    ctx.apply({ type: 'metrics', step: 2, ts: 2, values: { train_loss: 4.5 } });
    ctx.apply({ type: 'metrics', step: 3, ts: 3, values: { train_loss_step: 3 } });
    expect(ctx.get('train_loss')!.source).toBe('train_loss');
    expect(ctx.get('train_loss')!.count).toBe(1);
  });

  it('gives the rules one reading of an evaluation logged under two names in events of their own', () => {
    const ctx = new RunContext('r');
    const read = (values: Record<string, number>) => new Map(ctx.apply({ type: 'metrics', step: 100, epoch: 1, ts: 1, values })!.values);
    expect(read({ val_perplexity: Math.E }).get('val_loss')).toBe(1);
    // The exact name takes the quantity over, at the same evaluation: its series starts, no second reading.
    expect(read({ val_loss: 1 }).has('val_loss')).toBe(false);
    expect(ctx.get('val_loss')!.source).toBe('val_loss');
    expect(new Map(ctx.apply({ type: 'metrics', step: 200, epoch: 2, ts: 2, values: { val_loss: 0.9 } })!.values).get('val_loss')).toBe(0.9);
  });

  it('counts non-finite values without breaking the summaries', () => {
    const ctx = new RunContext('r');
    ctx.apply({ type: 'metrics', step: 1, ts: 1, values: { loss: 1 } });
    ctx.apply({ type: 'metrics', step: 2, ts: 2, values: { loss: NaN } });
    const s = ctx.get('train_loss')!;
    expect(s.nonFinite).toBe(1);
    expect(s.firstNonFiniteStep).toBe(2);
    expect(s.min).toBe(1);
    expect(Number.isNaN(s.last)).toBe(true);
  });

  it('holds its memory bound over 1M points', () => {
    const ctx = new RunContext('big', { window: 128, maxMetrics: 16, recentEvents: 8 });
    const values: Record<string, number> = {};
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (let i = 0; i < 20_000; i++) {
      for (let k = 0; k < 4; k++) values[`m${k}`] = i;
      ctx.apply({ type: 'metrics', step: i, ts: i, values: { loss: 1 / (i + 1), lr: i % 100 === 0 ? 0.1 / (1 + i) : 0.1, ...values } });
    }
    const before = heap();
    for (let i = 20_000; i < 1_000_000; i++) {
      ctx.apply({ type: 'metrics', step: i, ts: i, values: { loss: 1 / (i + 1), lr: 0.1, [`new_${i}`]: i } });
    }
    const after = heap();
    expect(ctx.get('train_loss')!.count).toBe(1_000_000);
    expect(ctx.get('train_loss')!.window.size).toBe(128);
    expect(ctx.latest.size).toBe(16);
    expect(ctx.droppedMetricNames).toBeGreaterThan(900_000);
    expect(ctx.recent.length).toBeLessThanOrEqual(8);
    // Bounded: a million new points (and a million new names) add no more than a few hundred KB.
    expect(after - before).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('lttb', () => {
  it('keeps ends and spikes, returns exactly the threshold', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i === 321 ? 100 : Math.sin(i / 50) }));
    const out = lttb(pts, 40, (p) => p.x, (p) => p.y);
    expect(out).toHaveLength(40);
    expect(out[0].x).toBe(0);
    expect(out[39].x).toBe(999);
    expect(out.some((p) => p.y === 100)).toBe(true);
    expect(lttb(pts.slice(0, 10), 40, (p) => p.x, (p) => p.y)).toHaveLength(10);
  });
});
