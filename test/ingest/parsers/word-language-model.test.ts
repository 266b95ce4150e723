import { describe, expect, it } from 'vitest';
import { metricsOf, parseFixture } from './fixture.ts';

describe('PyTorch word_language_model console lines', () => {
  it('reads the Namespace config, batch lines with global steps, end-of-epoch and end-of-training lines', () => {
    const events = parseFixture('word-language-model.log');
    expect(events[0]).toMatchObject({ type: 'run_started', total_epochs: 12, config: { lr: 20, model: 'LSTM', cuda: true, bptt: 35 } });
    const rows = metricsOf(events);
    expect(rows[0]).toEqual({ type: 'metrics', epoch: 1, step: 200, values: { lr: 20, 'ms/batch': 12.12, loss: 7.64, ppl: 2079.22 } });
    expect(rows[2]).toEqual({ type: 'metrics', epoch: 1, step: 400, values: { epoch_time: 36.93, val_loss: 5.53, val_ppl: 252.86 } });
    expect(events).toContainEqual({ type: 'epoch_ended', epoch: 1 });
    expect(rows[3]).toMatchObject({ epoch: 2, step: 2983 + 200 });
    expect(rows[4].values).toEqual({ test_loss: 4.74, test_ppl: 114.95 });
  });

  it('keeps nan losses as NaN', () => {
    const rows = metricsOf(parseFixture('word-language-model-nan.log'));
    expect(rows.map((r) => Number.isNaN(r.values.loss ?? r.values.val_loss))).toEqual([true, true]);
  });
});
