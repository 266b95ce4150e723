import { describe, expect, it } from 'vitest';
import { RunContext } from '../../../src/context/run-context.ts';
import { RunDiagnoser } from '../../../src/diagnose/engine.ts';
import { epochs, feed, noise, raisedAt, resolvedAt, serious } from '../feed.ts';

describe('lr_too_low rule', () => {
  it('fires when the loss barely moves from its start with healthy gradients, suggesting a 10x higher lr', () => {
    const rows = epochs(20, (e) => ({ train_loss: 2.32 - 0.0005 * e, grad_norm: 0.5, 'grad_norm/layer.0': 0.26, 'grad_norm/layer.out': 0.27, lr: 1e-5 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'lr_too_low')).toBe(4);
    const [f] = serious(fed, 'lr_too_low');
    expect(f.actions[0]).toBe('raise lr from 1e-5 to 1e-4');
    expect(f.message).toContain('at lr 1e-5');
  });

  it('stays silent on a learning run, during an LR warm-up, and when layers are dead', () => {
    const learning = feed(epochs(20, (e) => ({ train_loss: 2.3 * Math.exp(-e / 10), lr: 1e-3 })));
    expect(learning.findings.filter((f) => f.kind === 'lr_too_low')).toEqual([]);
    // Flat while the learning rate ramps up over ten points, then falling: never "too low".
    const warmup = feed(epochs(20, (e) => ({ train_loss: e <= 10 ? 2.3 : 2.3 * Math.exp(-(e - 10) / 3), lr: Math.min(e, 10) * 1e-4 })));
    expect(warmup.findings.filter((f) => f.kind === 'lr_too_low')).toEqual([]);
    const dead = feed(epochs(20, () => ({ train_loss: 2.3, 'grad_norm/layer.0': 0, 'grad_norm/layer.out': 0.1, lr: 1e-3 })));
    expect(dead.findings.filter((f) => f.kind === 'lr_too_low')).toEqual([]);
  });

  it('does not take a few points jumping by a fifth either way for a flat loss, but does once many points show it', () => {
    // Full-batch training at lr 0.3 swinging between 0.53 and 0.78 (validated every epoch): a flat
    // fitted line, but no proof of one.
    const val = [0.622, 0.718, 0.629, 0.78, 0.853, 0.733, 0.696, 0.624, 0.63, 0.614];
    const train: Record<number, number> = { 1: 0.659, 3: 0.534, 5: 0.775, 7: 0.573, 9: 0.616 };
    const rows = val.map((v, e) => ({ epoch: e, step: e, val_loss: v, lr: 0.3, ...(train[e] === undefined ? {} : { train_loss: train[e] }) }));
    expect(serious(feed(rows), 'lr_too_low')).toEqual([]);
    // The same scatter over sixty points around a level that does not move: stuck.
    const r = noise(8);
    const long = feed(Array.from({ length: 60 }, (_, i) => ({ step: (i + 1) * 10, train_loss: 1 + 0.2 * r(), lr: 1e-5 })));
    expect(serious(long, 'lr_too_low')).toHaveLength(1);
  });

  it('waits for 5% of a run that declared its length: a long schedule starts slowly', () => {
    const slow = epochs(20, (e) => ({ train_loss: 2.32 - 0.0005 * e, lr: 1e-5 }));
    const declared = (total: number) => {
      const ctx = new RunContext('test');
      ctx.apply({ type: 'run_started', name: 'test', total_epochs: total, ts: 0 });
      return feed(slow, new RunDiagnoser('test', [], { now: () => 1_000 }), ctx);
    };
    // 300 epochs: 5% is epoch 15.
    expect(raisedAt(declared(300), 'lr_too_low')).toBe(14);
    expect(raisedAt(declared(20), 'lr_too_low')).toBe(4);
  });

  it('judges the trend from the end of a warm-up: a loss that rose with the warm-up and falls after it is moving', () => {
    // A detector's three-epoch warm-up: the loss rises to 1.68 with the lr, then falls 2-3% an epoch.
    const loss = [1.595, 1.531, 1.617, 1.682, 1.626, 1.588, 1.55, 1.522, 1.49, 1.47, 1.45, 1.43];
    const lr = [0.0033, 0.0066, 0.0099, 0.0098, 0.0097, 0.0097, 0.0096, 0.0095, 0.0095, 0.0094, 0.0093, 0.0093];
    const fed = feed(epochs(loss.length, (e) => ({ train_loss: loss[e - 1], lr: lr[e - 1] })));
    expect(serious(fed, 'lr_too_low')).toEqual([]);
    // Without the lr logged the whole stretch fits a flat line, but its later half falls clearly.
    const unlogged = feed(epochs(loss.length, (e) => ({ train_loss: loss[e - 1] })));
    expect(serious(unlogged, 'lr_too_low')).toEqual([]);
  });

  it('waits for fifty steps when a run logs every step', () => {
    const rows = Array.from({ length: 80 }, (_, i) => ({ step: i + 1, train_loss: 2.3, lr: 1e-6 }));
    expect(raisedAt(feed(rows), 'lr_too_low')).toBe(50);
  });

  it('resolves once the loss has improved by more than 10%', () => {
    const rows = epochs(30, (e) => ({ train_loss: e <= 10 ? 2.3 : 2.3 * Math.exp(-(e - 10) / 5), lr: 1e-5 }));
    const fed = feed(rows);
    expect(raisedAt(fed, 'lr_too_low')).toBe(4);
    expect(resolvedAt(fed, 'lr_too_low')).toBeGreaterThan(10);
  });
});
