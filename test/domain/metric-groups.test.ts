import { describe, expect, it } from 'vitest';
import { metricPlace } from '../../src/domain/metric-groups.ts';

describe('metricPlace', () => {
  it.each([
    ['train/loss', 'train', 'train'],
    ['loss', 'train', 'train'],
    ['train_loss', 'train', 'train'],
    ['eval_loss', 'val', 'val'],
    ['val/wer', 'val', 'val'],
    ['validation_mAP', 'val', 'val'],
    ['test_acc', 'test', 'test'],
    ['learning_rate', 'lr', null],
    ['lr-adamw', 'lr', null],
    ['grad_norm', 'grad', null],
    ['system/gpu_util', 'system', null],
    ['epoch_time', 'system', null],
    ['perplexity', 'other', null],
  ])('%s is in %s (split %s)', (name, group, split) => {
    expect(metricPlace(name)).toMatchObject({ group, split, panel: null });
  });

  it('puts every per-layer gradient norm in one grad panel, and the total in its own', () => {
    const layers = ['grad_norm/layer1.weight', 'grad_norm/layer2.bias'].map(metricPlace);
    expect(layers.every((p) => p.group === 'grad' && p.panel !== null)).toBe(true);
    expect(new Set(layers.map((p) => p.panel)).size).toBe(1);
    expect(metricPlace('grad_norm').panel).toBeNull();
  });
});
