import { describe, expect, it } from 'vitest';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';

describe('Ultralytics YOLO console tables', () => {
  it('maps rows to the header columns, train and validation', () => {
    const rows = metricsOf(parseFixture('ultralytics.log'));
    const train = rows.filter((r) => 'box_loss' in r.values);
    expect(train.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(train[0].values.gpu_mem).toBe(17.2);
    expect(train.every((r) => Number.isNaN(r.values.box_loss) && Number.isNaN(r.values.dfl_loss))).toBe(true);
    expect(train[0].values).not.toHaveProperty('instances');
    expect(rows[1]).toEqual({ type: 'metrics', epoch: 1, values: { val_precision: 0, val_recall: 0, val_map50: 0, 'val_map50-95': 0 } });
  });

  it('reads YOLOv5 consoles: bare loss columns (`box obj cls`), `Labels` validation tables, a header printed once', () => {
    const state = createLineState();
    const lines = [
      '      Epoch   gpu_mem       box       obj       cls    labels  img_size',
      '       0/99     3.52G    0.1122   0.06838   0.04025        40       640: 100%|██████████| 8/8 [00:05<00:00,  1.55it/s]',
      '               Class     Images     Labels          P          R     mAP@.5 mAP@.5:.95: 100%|██████████| 1/1 [00:00<00:00,  2.00it/s]',
      '                 all         16         64      0.001      0.016   0.000551   0.000126',
      '       1/99     3.52G    0.1062   0.06538   0.03925        35       640: 100%|██████████| 8/8 [00:05<00:00,  1.55it/s]',
    ];
    const events = lines.flatMap((line) => parseLogLine(line, state).events);
    expect(events).toEqual([
      { type: 'metrics', epoch: 0, values: { gpu_mem: 3.52, box_loss: 0.1122, obj_loss: 0.06838, cls_loss: 0.04025 } },
      { type: 'metrics', epoch: 0, values: { val_precision: 0.001, val_recall: 0.016, 'val_map@.5': 0.000551, 'val_map@.5:.95': 0.000126 } },
      { type: 'metrics', epoch: 1, values: { gpu_mem: 3.52, box_loss: 0.1062, obj_loss: 0.06538, cls_loss: 0.03925 } },
    ]);
  });
});
