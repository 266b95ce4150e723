import { describe, expect, it } from 'vitest';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';

describe('learning-rate changes announced in words', () => {
  it("reads Keras ReduceLROnPlateau's line as the lr at its epoch, without renumbering later lines", () => {
    const state = createLineState();
    parseLogLine('Epoch 3/30', state);
    expect(parseLogLine('Epoch 00022: ReduceLROnPlateau reducing learning rate to 4.999999873689376e-05.', state).events).toEqual([
      { type: 'metrics', epoch: 22, values: { lr: 4.999999873689376e-5 } },
    ]);
    expect(state.epoch).toBe(3);
  });

  it("reads PyTorch's verbose schedulers for the first parameter group only", () => {
    expect(parseLogLine('Epoch 00008: reducing learning rate of group 0 to 1.0000e-04.').events).toEqual([
      { type: 'metrics', epoch: 8, values: { lr: 1e-4 } },
    ]);
    expect(parseLogLine('Adjusting learning rate of group 0 to 1.0000e-03.').events).toEqual([{ type: 'metrics', values: { lr: 1e-3 } }]);
    const other = parseLogLine('Adjusting learning rate of group 1 to 2.0000e-03.');
    expect(other).toEqual({ events: [], recognised: true });
  });

  it('leaves sentences that only mention the learning rate to the other readers', () => {
    expect(parseLogLine('We are reducing learning rate to help convergence soon').events).toEqual([]);
  });
});
