import { describe, expect, it } from 'vitest';
import { describeRead, mergeReports, readsRuleInput } from '../../src/domain/read-report.ts';
import { importContent } from '../../src/ingest/files/import-file.ts';

describe('read reports', () => {
  it('counts the lines of a text log, its points by name, and the lines with numbers no format reads', () => {
    const log = [
      'Namespace(lr=0.1, epochs=3)',
      'starting run on 2 GPUs',
      'Train loss 0.90 val loss 1.10',
      'lossy 3.5 frames',
      '',
      'loss        0.80',
      'val_loss    1.00',
      'AngleError  2.5',
      'Name: 1, dtype: float64',
      'Validation: 100%|██████████| 10/10 [00:00<00:00, 52.1it/s]',
    ].join('\n');
    const run = importContent(log, 'text', 'r');
    expect(run.read).toEqual({
      format: 'text',
      lines: 9,
      points: 5,
      skipped: 1,
      examples: [{ code: 'not_read', line: 4, message: 'numbers in a line no format reads', text: 'lossy 3.5 frames' }],
      mapped: { train_loss: ['train_loss', 'loss'], val_loss: ['val_loss'] },
      unmapped: { AngleError: 1 },
      unmapped_names: 1,
    });
    expect(readsRuleInput(run.read)).toBe(true);
  });

  it('keeps five examples, cut to a readable length, and counts the rest', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `mystery ${i}.5 ${'x'.repeat(300)}`);
    const run = importContent(['loss: 0.5', ...lines].join('\n'), 'text', 'r');
    expect(run.read.skipped).toBe(12);
    expect(run.read.examples.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
    expect(run.read.examples[0].text).toHaveLength(201);
  });

  it('reads the end of a log a block was left open in', () => {
    const run = importContent('loss   0.5\nval_loss   0.6', 'text', 'r');
    expect(run.events).toEqual([{ type: 'metrics', values: { loss: 0.5, val_loss: 0.6 } }]);
    expect(run.read.points).toBe(2);
  });

  it('reports documents by entry and tables by row', () => {
    const keras = importContent('{"loss": [1, 0.5], "val_f1": [0.2, 0.4]}', 'keras_history', 'k');
    expect(keras.read).toMatchObject({ lines: 2, points: 4, mapped: { train_loss: ['loss'] }, unmapped: { val_f1: 2 } });
    const csv = importContent('step,Val_los\n1,0.5\n2,0.4\n', 'csv', 'c');
    expect(csv.read).toMatchObject({ lines: 3, points: 2, mapped: { val_loss: ['Val_los'] } });
  });

  it('speaks to a person and adds up posted batches', () => {
    const a = importContent('Train loss 0.9\nodd 1.5\n', 'text', 'a').read;
    const b = importContent('Train loss 0.8\nval acc 0.7\nweird 2.5\n', 'text', 'b').read;
    expect(describeRead(a)).toEqual(['read 1 point from 2 lines (text): train_loss', 'skipped 1 line with numbers, e.g.', '    line 2: odd 1.5']);
    expect(mergeReports(a, b)).toMatchObject({ lines: 5, points: 3, skipped: 2, mapped: { train_loss: ['train_loss'], val_acc: ['val_acc'] } });
  });
});
