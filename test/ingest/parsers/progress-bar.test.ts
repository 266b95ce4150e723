import { describe, expect, it } from 'vitest';
import { metricsOf, parseFixture } from './fixture.ts';

describe('PyTorch Lightning progress bars', () => {
  it('reads the finished bar of each epoch, after carriage-return redraws and colour codes', () => {
    const rows = metricsOf(parseFixture('lightning-progress.log'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      type: 'metrics',
      epoch: 0,
      values: { train_loss_step: 0.301, val_loss: 0.356, val_acc: 0.902, train_loss_epoch: 0.398 },
    });
    expect(rows[1].epoch).toBe(1);
    expect(Number.isNaN(rows[1].values.val_loss)).toBe(true);
  });
});
