import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/domain/events.ts';
import { createLineState, flushLogState, parseLogLine } from '../../../src/ingest/parsers/index.ts';

function parseLines(text: string): EventInput[] {
  const state = createLineState();
  return [...text.split('\n').flatMap((l) => parseLogLine(l, state).events), ...flushLogState(state)];
}

describe('pandas Series printouts', () => {
  it('reads a `print(history.iloc[-1])` block as one point', () => {
    const events = parseLines(['Epoch 12 done', 'loss        0.3512', 'accuracy    0.8841', 'val_loss    0.4123', 'epoch      12.0000', 'Name: 12, dtype: float64'].join('\n'));
    expect(events).toEqual([{ type: 'metrics', epoch: 12, values: { loss: 0.3512, accuracy: 0.8841, val_loss: 0.4123 } }]);
  });

  it('makes a new point when a name comes again, and ends a block without footer at the next line or the end', () => {
    const events = parseLines(['loss    0.9', 'loss    0.8', 'val_loss    nan', 'Training finished', 'loss    0.7'].join('\n'));
    expect(events.map((e) => (e as { values: object }).values)).toEqual([{ loss: 0.9 }, { loss: 0.8, val_loss: NaN }, { loss: 0.7 }]);
  });

  it('reads no metric from a describe() of one column', () => {
    const text = ['count    10.000000', 'mean      0.351200', 'std       0.010000', 'min       0.300000', '25%       0.320000', 'max       0.400000', 'Name: loss, dtype: float64'].join('\n');
    const state = createLineState();
    for (const line of text.split('\n')) expect(parseLogLine(line, state)).toMatchObject({ events: [], recognised: true });
  });
});
