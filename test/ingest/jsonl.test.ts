import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsInput } from '../../src/domain/events.ts';
import { createReader } from '../../src/ingest/files/formats.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { GENERATED } from '../helpers/datasets.ts';

const metrics = (events: { type: string }[]) => events.filter((e): e is MetricsInput => e.type === 'metrics');

describe('JSONL import', () => {
  it('reads a generated run: step and epoch rows, epoch fields out of values', async () => {
    const run = await importFile(path.join(GENERATED, 'digits-s1-steps.jsonl'));
    expect(run.name).toBe('digits-s1-steps');
    expect(run.format).toBe('jsonl');
    expect(run.read.skipped).toBe(0);
    const [first] = metrics(run.events);
    expect(first.step).toBe(5);
    expect(first.epoch).toBeCloseTo(0.10183, 4);
    expect(first.values).toEqual({ 'train/loss': 2.2905893325805664, grad_norm: 0.5377612301443743, lr: 0.001 });
    const epochRow = metrics(run.events).find((e) => e.epoch === 1);
    expect(epochRow?.values['grad_norm/layer.0']).toBeCloseTo(0.32426, 4);
    expect(epochRow?.values).not.toHaveProperty('epoch');
  });

  it('imports every generated run with nothing skipped', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(GENERATED).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(40);
    for (const f of files) {
      const run = await importFile(path.join(GENERATED, f));
      expect(run.read.skipped, f).toBe(0);
      expect(metrics(run.events).every((e) => e.step !== undefined && Object.keys(e.values).length > 0), f).toBe(true);
    }
  });

  it('keeps "nan" and "inf" strings as non-finite values', async () => {
    const run = await importFile(path.join(GENERATED, 'digits-s1-lr-too-high.jsonl'));
    const all = metrics(run.events);
    expect(all.some((e) => Number.isNaN(e.values.train_loss))).toBe(true);
    expect(all.some((e) => Number.isNaN(e.values.grad_norm))).toBe(true);
  });

  it('reads Python json.dumps output with bare NaN/Infinity, nested objects and event lines; skips bad lines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jsonl-'));
    const file = path.join(dir, 'run.jsonl');
    writeFileSync(
      file,
      [
        '{"step": 1, "loss": NaN, "grad_norm": Infinity, "note": "NaN inside text"}',
        'not json',
        '{"step": 2, "train": {"loss": 0.5, "acc": 0.9}, "tags": [1, 2], "ts": 1700000000}',
        '{"type": "epoch_started", "epoch": 3, "total_epochs": 10}',
        '{"type": "metrics", "values": {}}',
        '{"step": 3}',
      ].join('\n'),
    );
    const run = await importFile(file);
    expect(run.events).toHaveLength(3);
    const [a, b, c] = run.events as [MetricsInput, MetricsInput, { type: string; epoch: number }];
    expect(Number.isNaN(a.values.loss)).toBe(true);
    expect(a.values.grad_norm).toBe(Infinity);
    expect(a.values).not.toHaveProperty('note');
    expect(b.values).toEqual({ 'train/loss': 0.5, 'train/acc': 0.9 });
    expect(b.ts).toBe(1_700_000_000_000);
    expect(c).toMatchObject({ type: 'epoch_started', epoch: 3, total_epochs: 10 });
    expect(run.read.skipped).toBe(2);
    expect(run.read.examples.map((i) => [i.code, i.line])).toEqual([
      ['bad_json', 2],
      ['bad_event', 5],
    ]);
    expect(run.read.file).toBe(file);
  });

  it('keeps a partial last line for the next push, even a split UTF-8 character', () => {
    const reader = createReader('jsonl');
    const bytes = Buffer.from('{"step": 1, "λoss": 1.5}\n{"step": 2, "λoss": 1.25}\n{"step": 3, "λo');
    const cut = bytes.indexOf('λ', 30) + 1; // inside the two-byte λ of line 2
    expect(reader.push(bytes.subarray(0, cut))).toHaveLength(1);
    const second = reader.push(bytes.subarray(cut));
    expect(second).toEqual([{ type: 'metrics', step: 2, values: { 'λoss': 1.25 } }]);
    expect(reader.push('ss": 1}')).toEqual([]);
    expect(reader.end()).toEqual([{ type: 'metrics', step: 3, values: { 'λoss': 1 } }]);
    expect(reader.tally.skipped).toBe(0);
  });

  it('imports a million points in one pass (speed is measured by npm run bench)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jsonl-big-'));
    const file = path.join(dir, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) {
      lines.push(JSON.stringify({ step: i, epoch: i / 1000, loss: 1 / (i + 1), val_loss: i % 97 ? 0.5 : 'nan', lr: 3e-4, grad_norm: 1.5 }));
    }
    writeFileSync(file, lines.join('\n'));
    const run = await importFile(file);
    expect(run.events).toHaveLength(250_000);
    expect(Object.keys((run.events[0] as MetricsInput).values)).toHaveLength(4);
  });
});
