import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsInput } from '../../src/domain/events.ts';
import { importFile, importContent } from '../../src/ingest/files/import-file.ts';
import { FIXTURES } from '../helpers/datasets.ts';

describe('training_info.json (lineage) import', () => {
  it('gives a run_started with the lineage and one metrics event per history entry, counted across stages', async () => {
    const run = await importFile(path.join(FIXTURES, 'lineage/bert-base-stage2/training_info.json'));
    expect(run).toMatchObject({ name: 'bert-base-stage2', format: 'lineage', read: { skipped: 0 } });
    expect(run.run_started).toMatchObject({
      type: 'run_started',
      name: 'bert-base-news',
      stage: 'finetune-business',
      dataset: 'business-2024q1',
      base_model: 'checkpoints/stage1/best.pt',
      total_steps: 17000,
      config: { lr: 1e-5, batch_size: 16 },
      meta: { final_checkpoint: 'checkpoints/stage2/best.pt', created: '2024-03-01T08:00:00Z' },
    });
    expect(run.run_started?.meta?.history).toHaveLength(3);
    expect((run.run_started?.meta?.history as Record<string, unknown>[])[1]).toMatchObject({ dataset: 'news-corpus-B', steps: 5000 });
    const rows = run.events as MetricsInput[];
    expect(rows.map((r) => [r.step, r.epoch])).toEqual([
      [10000, 3],
      [15000, 5],
      [17000, 6],
    ]);
    expect(rows[0].values).toEqual({ train_loss: 1.92, val_loss: 2.05, val_acc: 0.61 });
    expect(rows[0].ts).toBe(Date.parse('2024-03-01T20:00:00Z'));
    expect(Number.isNaN(rows[2].values.val_loss)).toBe(true);
  });

  it('reports a history entry that is not an object and keeps the rest', () => {
    const run = importContent('{"model_name": "m", "history": [3, {"steps": 10, "metrics": {"loss": 1}}]}', 'lineage', 'm');
    expect(run.events).toEqual([{ type: 'metrics', step: 10, values: { loss: 1 } }]);
    expect(run.read).toMatchObject({ lines: 2, points: 1, skipped: 1, examples: [{ code: 'bad_record', line: 1, message: 'history[0] is not an object', text: '3' }] });
  });
});
