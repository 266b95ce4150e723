import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';

describe('Hugging Face Trainer console dicts', () => {
  it('reads Python dict lines with nan and huge values, names as HF wrote them, epoch out of values', () => {
    const rows = metricsOf(parseFixture('hf-trainer-console.log'));
    expect(rows).toHaveLength(6);
    expect(rows[0].epoch).toBe(0.53);
    expect(rows[0].values.loss).toBe(0.2051);
    expect(Number.isNaN(rows[0].values.grad_norm)).toBe(true);
    expect(rows[0].values.learning_rate).toBe(9.774074342405685e-6);
    expect(rows[3].values.grad_norm).toBe(5675928780800);
    expect(rows[3].values.num_input_tokens_seen).toBe(2113536);
    expect(rows[5].values).toEqual({ loss: 1.51, grad_norm: 11140 });
  });

  it('recognises the closing summary dict and makes no point of its run-long means', () => {
    const parsed = parseLogLine("{'train_runtime': 12.3, 'train_samples_per_second': 100.0, 'train_loss': 0.5, 'epoch': 3.0}");
    expect(parsed).toEqual({ events: [], recognised: true });
  });

  it('reads eval dicts, a dict after a tqdm bar, and tensor reprs', () => {
    const line = " 50%|█████     | 500/1000 [01:00<01:00]{'eval_loss': 0.41, 'eval_accuracy': 0.9, 'eval_runtime': 3.2, 'epoch': 2.0, 'note': 'x, y'}";
    expect(parseLogLine(line).events).toEqual([
      { type: 'metrics', epoch: 2, values: { eval_loss: 0.41, eval_accuracy: 0.9, eval_runtime: 3.2 } },
    ]);
    expect(parseLogLine("{'loss': tensor(0.25, device='cuda:0'), 'grad_norm': inf, 'step': 7}").events).toEqual([
      { type: 'metrics', step: 7, values: { loss: 0.25, grad_norm: Infinity } },
    ]);
  });
});
