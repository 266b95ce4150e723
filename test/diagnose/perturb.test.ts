import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/domain/events.ts';
import { PERTURBATIONS } from '../../eval/perturb.ts';

const byName = (name: string) => PERTURBATIONS.find((p) => p.name === name)!.apply;

const events: EventInput[] = [
  { type: 'run_started', name: 'r' },
  ...Array.from({ length: 6 }, (_, i): EventInput => ({ type: 'metrics', step: i, values: { loss: 2 - i * 0.1, lr: 0.1, grad_norm: 1 } })),
  { type: 'metrics', step: 6, epoch: 1, values: { val_loss: 1.5, val_acc: 0.7 } },
];

describe('eval perturbations', () => {
  it('scales every loss, and only losses', () => {
    const scaled = byName('losses x10')(events);
    expect(scaled[1]).toMatchObject({ values: { loss: 20, lr: 0.1, grad_norm: 1 } });
    expect(scaled[7]).toMatchObject({ values: { val_loss: 15, val_acc: 0.7 } });
  });

  it('renames each quantity logged under one name into another naming style, and leaves a quantity logged under two', () => {
    const renamed = byName('names like Loss/val')(events);
    expect(renamed[1]).toMatchObject({ values: { 'Loss/train': 2, LearningRate: 0.1, 'Gradients/norm': 1 } });
    expect(renamed[7]).toMatchObject({ values: { 'Loss/val': 1.5, 'Accuracy/val': 0.7 } });
    const both: EventInput[] = [
      { type: 'metrics', step: 1, values: { loss_step: 2 } },
      { type: 'metrics', step: 1, epoch: 1, values: { loss_epoch: 1.9 } },
    ];
    expect(byName('names like eval/loss')(both)).toEqual(both);
  });

  it('sends each metric in an event of its own, writes accuracies in percent, or drops the learning rate', () => {
    const split = byName('one metric per event')(events);
    expect(split.slice(1, 4)).toEqual([
      { type: 'metrics', step: 0, values: { loss: 2 } },
      { type: 'metrics', step: 0, values: { lr: 0.1 } },
      { type: 'metrics', step: 0, values: { grad_norm: 1 } },
    ]);
    expect(byName('accuracy in percent')(events)[7]).toMatchObject({ values: { val_loss: 1.5, val_acc: 70 } });
    expect(byName('no lr logged')([{ type: 'metrics', step: 1, values: { lr: 0.1 } }, ...events]).slice(0, 2)).toEqual([
      events[0],
      { type: 'metrics', step: 0, values: { loss: 2, grad_norm: 1 } },
    ]);
  });

  it('logs the losses as perplexities, and leaves a run with a loss too large for one', () => {
    const out = byName('losses as perplexity')(events);
    expect(out[1]).toMatchObject({ values: { train_perplexity: Math.exp(2), lr: 0.1 } });
    expect(out[7]).toMatchObject({ values: { val_perplexity: Math.exp(1.5), val_acc: 0.7 } });
    const huge: EventInput[] = [{ type: 'metrics', step: 1, values: { loss: 1e3 } }];
    expect(byName('losses as perplexity')(huge)).toEqual(huge);
  });

  it('prints every value with four decimals', () => {
    expect(byName('printed with 4 decimals')([{ type: 'metrics', step: 1, values: { loss: 0.123456, 'grad_norm/fc0': 0.00004 } }])).toEqual([
      { type: 'metrics', step: 1, values: { loss: 0.1235, 'grad_norm/fc0': 0 } },
    ]);
  });

  it('counts steps within each epoch, and leaves events without an epoch', () => {
    const events: EventInput[] = [
      { type: 'metrics', step: 10, epoch: 0, values: { loss: 3 } },
      { type: 'metrics', step: 20, epoch: 0.5, values: { loss: 2 } },
      { type: 'metrics', step: 30, epoch: 1, values: { loss: 1 } },
      { type: 'metrics', step: 40, values: { lr: 0.1 } },
      { type: 'metrics', step: 50, epoch: 1.5, values: { loss: 0.5 } },
    ];
    expect(byName('steps counted per epoch')(events).map((e) => (e.type === 'metrics' ? e.step : null))).toEqual([1, 11, 1, 40, 21]);
  });

  it("logs each epoch's mean training loss beside the per-step values", () => {
    const steps: EventInput[] = [0, 0.5, 1, 1.5].map((epoch, i) => ({ type: 'metrics', step: i, epoch, values: { loss: 4 - i } }));
    const out = byName('epoch means beside steps')(steps);
    expect(out.map((e) => (e.type === 'metrics' ? e.values : null))).toEqual([{ loss: 4 }, { loss: 3 }, { train_loss_epoch: 3.5 }, { loss: 2 }, { loss: 1 }, { train_loss_epoch: 1.5 }]);
  });

  it('logs training points half as often, keeping every evaluation and non-metrics event', () => {
    const thinned = byName('logged half as often')(events);
    expect(thinned.map((e) => (e.type === 'metrics' ? e.step : e.type))).toEqual(['run_started', 0, 2, 4, 6]);
  });
});
