import { describe, expect, it } from 'vitest';
import { canonicalOf } from '../../../src/domain/aliases.ts';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';

describe('tables printed a row per epoch under a header of names', () => {
  it("reads fastai's table: validation metrics after the validation loss, the epoch's time in seconds, #na# left out", () => {
    const rows = metricsOf(parseFixture('fastai-table.log')).filter((r) => 'train_loss' in r.values);
    expect(rows.map((r) => r.epoch)).toEqual([0, 1, 2, 3]);
    expect(rows[0].values).toEqual({ train_loss: 1.418207, val_loss: 1.102356, val_acc: 0.612, val_error_rate: 0.388, epoch_time: 41 });
    expect(rows[3].values).toEqual({ train_loss: 0.602733, val_acc: 0.7425, val_error_rate: 0.2575, epoch_time: 62 });
  });

  it('reads a boxed table, NaN cells included, and no line of prose as a row', () => {
    const events = parseFixture('boxed-table.log');
    expect(metricsOf(events)).toEqual([
      { type: 'metrics', epoch: 1, values: { train_loss: 2.3012, val_loss: 2.2871, val_acc: 0.142 } },
      { type: 'metrics', epoch: 2, values: { train_loss: 1.8833, val_loss: 1.9102, val_acc: 0.3311 } },
      { type: 'metrics', epoch: 3, values: { train_loss: NaN, val_loss: NaN, val_acc: 0.098 } },
    ]);
  });

  it("reads the name / value rows of Lightning's validation summary box", () => {
    expect(metricsOf(parseFixture('lightning-validate-box.log'))).toEqual([
      { type: 'metrics', values: { val_loss: 0.5123 } },
      { type: 'metrics', values: { val_acc: 0.8123 } },
    ]);
  });

  it("reads Chainer's LogReport table: `main/` and `validation/main/` name the model's train and validation values", () => {
    const state = createLineState();
    const lines = [
      'epoch       main/loss   validation/main/loss  main/accuracy  validation/main/accuracy  elapsed_time',
      '1           0.191836    0.0929632             0.942767       0.9704                    5.12',
    ];
    const events = lines.flatMap((line) => parseLogLine(line, state).events);
    expect(events).toEqual([
      {
        type: 'metrics',
        epoch: 1,
        values: { 'main/loss': 0.191836, 'validation/main/loss': 0.0929632, 'main/accuracy': 0.942767, 'validation/main/accuracy': 0.9704, elapsed_time: 5.12 },
      },
    ]);
    expect(['main/loss', 'validation/main/loss', 'validation/main/accuracy'].map((n) => canonicalOf(n)?.canonical)).toEqual(['train_loss', 'val_loss', 'val_acc']);
  });

  it('reads pandas DataFrame printouts: an indented header, rows led by their index (no position), NaN cells left out', () => {
    const state = createLineState();
    const lines = ['       loss  accuracy  val_loss  val_accuracy', '0  0.9000    0.6000    0.8000        0.6500', '1  0.5000    0.8000       NaN        0.7100'];
    expect(lines.flatMap((line) => parseLogLine(line, state).events)).toEqual([
      { type: 'metrics', values: { loss: 0.9, acc: 0.6, val_loss: 0.8, val_acc: 0.65 } },
      { type: 'metrics', values: { loss: 0.5, acc: 0.8, val_acc: 0.71 } },
    ]);
    const withEpoch = createLineState();
    const rows = ['   epoch  train_loss  val_loss', '0      1      0.9000    0.8000', '1      2      0.6000    0.7000'].flatMap((line) => parseLogLine(line, withEpoch).events);
    expect(rows.map((r) => (r as { epoch?: number }).epoch)).toEqual([1, 2]);
  });

  it('keeps a bare name after a validation column bare when the table also has it with its split', () => {
    const state = createLineState();
    const events = ['epoch loss val_loss acc val_acc', '1 0.9 0.8 0.6 0.65'].flatMap((line) => parseLogLine(line, state).events);
    expect(events).toEqual([{ type: 'metrics', epoch: 1, values: { loss: 0.9, val_loss: 0.8, acc: 0.6, val_acc: 0.65 } }]);
  });

  it("reads spaCy's training table: the epoch and the step, `LOSS <component>` as training losses and the other columns as development-set scores", () => {
    const state = createLineState();
    const lines = [
      'E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE ',
      '---  ------  ------------  --------  ------  ------  ------  ------',
      '  0       0          0.00     49.67    0.00    0.00    0.00    0.00',
      '  1     400         30.99    812.34   60.70   62.10   59.35    0.61',
    ];
    expect(lines.flatMap((line) => parseLogLine(line, state).events)).toEqual([
      { type: 'metrics', epoch: 0, step: 0, values: { loss_tok2vec: 0, loss_ner: 49.67, val_ents_f: 0, val_ents_p: 0, val_ents_r: 0, val_score: 0 } },
      { type: 'metrics', epoch: 1, step: 400, values: { loss_tok2vec: 30.99, loss_ner: 812.34, val_ents_f: 60.7, val_ents_p: 62.1, val_ents_r: 59.35, val_score: 0.61 } },
    ]);
  });
});
