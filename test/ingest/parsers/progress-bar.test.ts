import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/domain/events.ts';
import { createLineState, flushLogState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';

/** Lines through one parse state, then what the state holds at the end of the log. */
function parseLines(lines: string[]): EventInput[] {
  const state = createLineState();
  return [...lines.flatMap((l) => parseLogLine(l, state).events), ...flushLogState(state)];
}

describe('PyTorch Lightning progress bars', () => {
  it('reads the finished bar of each epoch, after carriage-return redraws and colour codes', () => {
    const rows = metricsOf(parseFixture('lightning-progress.log'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      type: 'metrics',
      epoch: 0,
      values: { train_loss_step: 0.301, val_loss: 0.356, val_acc: 0.902, train_loss_epoch: 0.398, 'it/s': 19.87 },
    });
    expect(rows[1].epoch).toBe(1);
    expect(Number.isNaN(rows[1].values.val_loss)).toBe(true);
  });

  it('reads every epoch when a terminal capture put them all on one line', () => {
    const bar = (e: number, n: number, loss: number) => `Epoch ${e}: ${Math.round((n / 391) * 100)}%|████| ${n}/391 [00:12<00:00, 31.2it/s, loss=${loss}, v_num=0]`;
    const line = [bar(0, 200, 0.9), bar(0, 391, 0.8), bar(1, 100, 0.7), bar(1, 391, 0.6), bar(2, 391, 0.5)].join('\r');
    expect(metricsOf(parseLines([line])).map((r) => [r.epoch, r.values.loss])).toEqual([
      [0, 0.8],
      [1, 0.6],
      [2, 0.5],
    ]);
  });

  it('keeps the last update of an epoch whose bar never finished (a run that died mid-epoch)', () => {
    const rows = metricsOf(parseLines(['Epoch 0: 100%|███| 50/50 [00:02<00:00, 20.1it/s, loss=0.5, v_num=0]', 'Epoch 1:  40%|█  | 20/50 [00:01<00:01, 20.1it/s, loss=nan, v_num=0]']));
    expect(rows.map((r) => r.epoch)).toEqual([0, 1]);
    expect(Number.isNaN(rows[1].values.loss)).toBe(true);
  });
});

describe('tqdm bars without an epoch', () => {
  it('gives a point per update at its position, with the rate, counted on across passes', () => {
    const rows = metricsOf(
      parseLines([
        'Training:  45%|████▌     | 450/1000 [01:23<01:41,  5.42it/s, loss=1.23, lr=0.0003]',
        'Training:  45%|████▌     | 450/1000 [01:23<01:41,  5.42it/s, loss=1.23, lr=0.0003]',
        'Training: 100%|██████████| 1000/1000 [03:05<00:00,  5.40it/s, loss=1.01, lr=0.0003]',
        'Training:  10%|█         | 100/1000 [00:18<02:45,  5.44it/s, loss=0.95, lr=0.0002]',
      ]),
    );
    expect(rows).toEqual([
      { type: 'metrics', step: 450, values: { loss: 1.23, lr: 0.0003, 'it/s': 5.42 } },
      { type: 'metrics', step: 1000, values: { loss: 1.01, lr: 0.0003, 'it/s': 5.4 } },
      { type: 'metrics', step: 1100, values: { loss: 0.95, lr: 0.0002, 'it/s': 5.44 } },
    ]);
  });

  it('reads values in the description; a number word is a value, never a name', () => {
    const [row] = metricsOf(parseLines(['Loss: nan: 100%|██████████| 50/50 [00:02<00:00, 20.1it/s]']));
    expect(Object.keys(row.values)).toEqual(['loss', 'it/s']);
    expect(Number.isNaN(row.values.loss)).toBe(true);
    expect(metricsOf(parseLines(['Loss: inf: 12%|█ | 6/50 [00:00<00:02, 20.1it/s]']))[0].values.loss).toBe(Infinity);
  });

  it('gives nothing for a bar with only a rate (a data loader), but knows the line', () => {
    const state = createLineState();
    expect(parseLogLine('Loading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00,  1.52s/it]', state)).toEqual({ events: [], recognised: true });
  });
});
