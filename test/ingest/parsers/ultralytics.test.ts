import { describe, expect, it } from 'vitest';
import { metricsOf, parseFixture } from './fixture.ts';

describe('Ultralytics YOLO console tables', () => {
  it('maps rows to the header columns, train and validation', () => {
    const rows = metricsOf(parseFixture('ultralytics.log'));
    const train = rows.filter((r) => 'box_loss' in r.values);
    expect(train.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(train[0].values.gpu_mem).toBe(17.2);
    expect(train.every((r) => Number.isNaN(r.values.box_loss) && Number.isNaN(r.values.dfl_loss))).toBe(true);
    expect(train[0].values).not.toHaveProperty('instances');
    expect(rows[1]).toEqual({ type: 'metrics', epoch: 1, values: { val_precision: 0, val_recall: 0, val_map50: 0, 'val_map50-95': 0 } });
  });
});
