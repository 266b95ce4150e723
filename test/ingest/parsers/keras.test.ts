import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';

describe('Keras console lines', () => {
  it('keeps the epoch from its own line and reads only finished epochs (Keras 2, verbose=2, Keras 3)', () => {
    const events = parseFixture('keras-console.log');
    expect(events.filter((e) => e.type === 'epoch_started')).toHaveLength(3);
    const rows = metricsOf(events);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows[0].values).toEqual({ loss: 0.52, accuracy: 0.82, val_loss: 0.441, val_accuracy: 0.8512 });
    expect(rows[1].values).toEqual({ loss: 0.4012, accuracy: 0.8601, val_loss: 0.4105, val_accuracy: 0.8633 });
    expect(rows[2].values.accuracy).toBe(0.879);
    expect(Number.isNaN(rows[2].values.val_loss)).toBe(true);
  });

  it('claims an unfinished progress line without producing a point', () => {
    expect(parseLogLine(' 12/375 [>.............................] - ETA: 3s - loss: 1.2000').events).toEqual([]);
  });
});
