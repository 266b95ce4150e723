import { describe, expect, it } from 'vitest';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
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

  it('reads the last redraw of a bar rubbed out with backspaces, as consoles without carriage returns show it', () => {
    const state = createLineState();
    const line =
      '\x08\x08\x08\x08\x08 1/10 [==>...........................] - ETA: 0s - loss: 2.3000' +
      '\x08'.repeat(60) +
      '10/10 [==============================] - 1s 5ms/step - loss: 2.1000 - val_loss: 2.0000';
    const events = ['Epoch 1/2', line].flatMap((l) => parseLogLine(l, state).events);
    expect(events).toEqual([
      { type: 'epoch_started', epoch: 1, total_epochs: 2 },
      { type: 'metrics', epoch: 1, values: { loss: 2.1, val_loss: 2 } },
    ]);
  });
});
