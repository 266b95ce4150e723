import { describe, expect, it } from 'vitest';
import { metricsOf, parseFixture } from './fixture.ts';

describe('Caffe solver lines', () => {
  it('reads iteration losses, net outputs at the last iteration and lr lines', () => {
    const rows = metricsOf(parseFixture('caffe.log'));
    expect(rows.slice(0, 4)).toEqual([
      { type: 'metrics', step: 0, values: { loss: 6.91161 } },
      { type: 'metrics', step: 0, values: { 'train_net/loss': 6.91161 } },
      { type: 'metrics', step: 0, values: { lr: 0.01 } },
      { type: 'metrics', step: 20, values: { loss: 6.90501 } },
    ]);
    expect(rows.filter((r) => 'loss' in r.values).map((r) => r.step)).toEqual([0, 20, 40, 60]);
  });
});
