import { describe, expect, it } from 'vitest';
import { canonicalOf } from '../../../src/domain/aliases.ts';
import { parseFixture } from './fixture.ts';

describe('seed 3 training-service lines', () => {
  it('reads epoch starts, train/val lines, F1, top-k dicts and best-model lines', () => {
    expect(parseFixture('seed3-training-service.log')).toEqual([
      { type: 'epoch_started', epoch: 3, total_epochs: 10 },
      { type: 'metrics', epoch: 3, values: { train_loss: 0.5234, train_acc: 82.45 } },
      { type: 'metrics', epoch: 3, values: { val_loss: 0.6123, val_acc: 78.92 } },
      { type: 'metrics', epoch: 3, values: { val_macro_f1: 0.7654 } },
      { type: 'metrics', epoch: 3, values: { val_top1: 78.92, val_top3: 92.34, val_top5: 96.78 } },
      { type: 'metrics', epoch: 3, values: { best_acc: 79.12 } },
    ]);
  });

  it('writes names the alias table maps to canonical names', () => {
    expect(['train_loss', 'train_acc', 'val_loss', 'val_acc'].map((n) => canonicalOf(n)?.canonical)).toEqual([
      'train_loss',
      'train_acc',
      'val_loss',
      'val_acc',
    ]);
  });
});
