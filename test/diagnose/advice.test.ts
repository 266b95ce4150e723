import { describe, expect, it } from 'vitest';
import { RunContext } from '../../src/context/run-context.ts';
import { actionsFor, knobsOf, lrFactor } from '../../src/diagnose/advice.ts';
import { feed, serious } from './feed.ts';

function contextWith(config: Record<string, unknown>, lr?: number): RunContext {
  const ctx = new RunContext('r');
  ctx.apply({ type: 'run_started', name: 'r', config, ts: 0 });
  if (lr !== undefined) ctx.apply({ type: 'metrics', step: 1, values: { lr, loss: 1 }, ts: 1 });
  return ctx;
}

describe('one advice per run', () => {
  it('reads the knobs from the config, nested or flat, and the logged lr over the configured one', () => {
    const knobs = knobsOf(contextWith({ optimizer: { lr: 0.1, weight_decay: 5e-4 }, max_grad_norm: 1, per_device_train_batch_size: 16 }, 0.05));
    expect(knobs).toEqual({ lr: 0.05, clip: 1, weightDecay: 5e-4, momentum: null, batchSize: 16 });
  });

  it('moves the learning rate one way for the whole run: down as soon as steps were too large', () => {
    expect(lrFactor(new Set(['lr_too_low']))).toBe(10);
    expect(lrFactor(new Set(['lr_too_low', 'divergence']))).toBe(0.1);
    expect(lrFactor(new Set(['oscillation']))).toBe(0.3);
    expect(lrFactor(new Set(['overfitting']))).toBeNull();
  });

  it('gives every finding of a run the same lr target and the same clipping value', () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({
      step: i + 1,
      lr: 0.5,
      train_loss: i < 40 ? 2 - i / 40 : 1 * 3 ** (i - 39),
      grad_norm: i < 40 ? 1 + 0.2 * Math.sin(i) : 5 ** (i - 39),
    }));
    const fed = feed(rows);
    const found = [...serious(fed, 'divergence'), ...serious(fed, 'exploding_gradients')];
    expect(new Set(found.map((f) => f.kind))).toEqual(new Set(['divergence', 'exploding_gradients']));
    const lrMoves = new Set(found.flatMap((f) => f.actions.filter((a) => /\blr\b/.test(a))));
    expect([...lrMoves]).toEqual(['lower lr from 0.5 to 0.05']);
    const clips = new Set(found.flatMap((f) => f.actions.filter((a) => a.startsWith('clip gradients'))));
    expect(clips.size).toBe(1);
  });

  it('keeps a clipping value already set when it acts, and says when it never does', () => {
    const tight = actionsFor('exploding_gradients', contextWith({ max_grad_norm: 1 }), { raised: new Set(), grad: { top: 3 } });
    expect(tight[0]).toBe('keep gradient clipping at max_norm=1 and lower the learning rate instead');
    const loose = actionsFor('exploding_gradients', contextWith({ max_grad_norm: 100 }), { raised: new Set(), grad: { top: 3 } });
    expect(loose[0]).toMatch(/^clip gradients at max_norm=3 \(now 100/);
  });

  it('raises weight decay from the configured value for overfitting', () => {
    const actions = actionsFor('overfitting', contextWith({ weight_decay: 0.01 }), { raised: new Set(), grad: { top: NaN } }, { bestAt: 'epoch 4', metric: 'val_loss' });
    expect(actions[1]).toMatch(/^raise weight decay from 0.01 to 0.1/);
  });
});
