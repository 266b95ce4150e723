import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MetricsInput } from '../../src/domain/events.ts';
import { createReader } from '../../src/ingest/files/formats.ts';
import { importFile, importContent } from '../../src/ingest/files/import-file.ts';
import { realLog } from '../helpers/datasets.ts';

const metrics = (events: { type: string }[]) => events.filter((e): e is MetricsInput => e.type === 'metrics');

describe('CSV import', () => {
  it('reads a Keras CSVLogger training.log named after its directory', async () => {
    const run = await importFile(realLog('keras_car_cnn_val_plateau', 'training.log'));
    expect(run).toMatchObject({ name: 'keras_car_cnn_val_plateau', format: 'keras_csv', read: { skipped: 0 } });
    const rows = metrics(run.events);
    expect(rows).toHaveLength(100);
    expect(rows[0]).toEqual({
      type: 'metrics',
      epoch: 0,
      values: { accuracy: 0.28529292345046997, loss: 1.7800995111465454, val_accuracy: 0.16604077816009521, val_loss: 1.8974509239196777 },
    });
  });

  it('reads Lightning metrics.csv sparse rows as events with only their non-empty cells', async () => {
    const run = await importFile(realLog('lightning_bnn_kl_anneal_rising_loss', 'metrics.csv'));
    expect(run.format).toBe('lightning_csv');
    const [train, val] = metrics(run.events);
    expect(train).toMatchObject({ epoch: 0, step: 49 });
    expect(Object.keys(train.values).sort()).toEqual(['train_acc_step', 'train_kl_step', 'train_loss_step', 'train_nll_step']);
    expect(val).toEqual({ type: 'metrics', epoch: 0, step: 75, values: { val_acc: 0.7845410704612732, val_loss: 0.5147271752357483 } });
  });

  it('keeps Lightning NaN cells as NaN (every loss NaN from epoch 218 on)', async () => {
    const rows = metrics((await importFile(realLog('lightning_pinn_em_nan', 'metrics.csv'))).events);
    expect(rows).toHaveLength(262);
    const nan = rows.filter((r) => Number.isNaN(r.values.mean_loss));
    expect(nan).toHaveLength(44);
    expect(nan[0].epoch).toBe(218);
  });

  it('strips YOLOv5 padded column names and reads YOLOv8 results.csv', async () => {
    const v5 = await importFile(realLog('yolov5_cs2_healthy', 'results.csv'));
    expect(v5).toMatchObject({ name: 'yolov5_cs2_healthy', format: 'yolo_csv' });
    const first = metrics(v5.events)[0];
    expect(first.epoch).toBe(0);
    expect(first.values['val/box_loss']).toBe(0.14992);
    expect(first.values['x/lr0']).toBe(0.0991);
    const v8 = metrics((await importFile(realLog('yolov8_wheatweed_val_overfit', 'results.csv'))).events);
    expect(v8).toHaveLength(102);
    expect(v8[1]).toMatchObject({ epoch: 2, values: { 'val/box_loss': 1.22828, 'metrics/mAP50(B)': 0.81605 } });
  });

  it("reads W&B's chart export of one run without the run's prefix and its band columns", () => {
    const csv = '"Step","glorious-sun-3 - train/loss","glorious-sun-3 - train/loss__MIN","glorious-sun-3 - train/loss__MAX"\n"100","2.3","2.2","2.4"\n"200","1.9","1.8","2.0"\n';
    const run = importContent(csv, 'csv', 'wandb');
    expect(metrics(run.events).map((e) => [e.step, e.values])).toEqual([[100, { 'train/loss': 2.3 }], [200, { 'train/loss': 1.9 }]]);
    // Several runs in one export stay apart, their names reported as not understood.
    const two = importContent('Step,a - loss,b - loss\n1,2.3,2.4\n', 'csv', 'two');
    expect(metrics(two.events)[0].values).toEqual({ 'a - loss': 2.3, 'b - loss': 2.4 });
  });

  it("leaves out the index column pandas writes (no name, or `Unnamed: 0`)", () => {
    for (const csv of [',loss,val_loss\n0,0.9,0.8\n1,0.6,0.7\n', 'Unnamed: 0,loss,val_loss\n0,0.9,0.8\n1,0.6,0.7\n']) {
      const run = importContent(csv, 'csv', 'history');
      expect(metrics(run.events).map((e) => e.values)).toEqual([{ loss: 0.9, val_loss: 0.8 }, { loss: 0.6, val_loss: 0.7 }]);
      expect(run.read.unmapped).toEqual({});
    }
  });

  it("names a TensorBoard download's values by the tag in its file name, its wall time as the time", () => {
    const csv = 'Wall time,Step,Value\n1700000000.5,100,2.3\n1700000010.5,200,1.9\n';
    const run = importContent(csv, 'csv', 'r', '/x/run-resnet-tag-Loss_train.csv');
    expect(metrics(run.events).map((e) => [e.ts, e.step, e.values])).toEqual([
      [1700000000500, 100, { Loss_train: 2.3 }],
      [1700000010500, 200, { Loss_train: 1.9 }],
    ]);
    expect(run.read.mapped).toEqual({ train_loss: ['Loss_train'] });
  });

  it('reads capitalised Epoch / Step headers as the place of a row, not as metrics', () => {
    const run = importContent('Epoch,TrainLoss,ValLoss\n1,105.9,58.4\n2,65.6,73.3\n', 'csv', 'c');
    expect(run.events).toEqual([
      { type: 'metrics', epoch: 1, values: { TrainLoss: 105.9, ValLoss: 58.4 } },
      { type: 'metrics', epoch: 2, values: { TrainLoss: 65.6, ValLoss: 73.3 } },
    ]);
    const steps = importContent('Step,Loss\n10,0.5\n', 'csv', 's');
    expect(steps.events).toEqual([{ type: 'metrics', step: 10, values: { Loss: 0.5 } }]);
  });

  it('handles quoted cells, tabs and rows with too many cells', () => {
    const quoted = importContent('"step","Train loss","note"\n1,"0.5",\n2,0.25,"a,b"\n3,0.1,x,extra\n', 'csv', 'q');
    expect(quoted.events).toEqual([
      { type: 'metrics', step: 1, values: { 'Train loss': 0.5 } },
      { type: 'metrics', step: 2, values: { 'Train loss': 0.25 } },
    ]);
    expect(quoted.read.examples).toEqual([{ code: 'bad_row', line: 4, message: '4 cells for 3 columns', text: '3,0.1,x,extra' }]);
    const tabs = importContent('epoch\tloss\n1\tnan\n', 'csv', 't');
    expect(Number.isNaN((tabs.events[0] as MetricsInput).values.loss)).toBe(true);
  });

  it('streams a growing CSV: header first, rows as they complete', () => {
    const reader = createReader('lightning_csv');
    expect(reader.push('epoch,step,train_loss\n0,1')).toEqual([]);
    expect(reader.push('0,0.9\n0,20,0.8\n')).toEqual([
      { type: 'metrics', epoch: 0, step: 10, values: { train_loss: 0.9 } },
      { type: 'metrics', epoch: 0, step: 20, values: { train_loss: 0.8 } },
    ]);
  });
});

describe('Hugging Face trainer_state.json import', () => {
  it('turns log_history into events and the summary entry into metadata', async () => {
    const run = await importFile(realLog('hf_whisper_small_hi_overfit', 'trainer_state.json'));
    expect(run).toMatchObject({ name: 'hf_whisper_small_hi_overfit', format: 'hf_trainer_state' });
    expect(run.run_started).toMatchObject({
      type: 'run_started',
      name: 'hf_whisper_small_hi_overfit',
      total_epochs: 13,
      total_steps: 5000,
      config: { max_steps: 5000, num_train_epochs: 13 },
      meta: { best_model_checkpoint: './whisper-small-colab/checkpoint-4000', train_runtime: 16800.4503 },
    });
    const rows = metrics(run.events);
    expect(rows).toHaveLength(205);
    expect(rows.some((r) => 'train_runtime' in r.values)).toBe(false);
    const evals = rows.filter((r) => 'eval_loss' in r.values).map((r) => +r.values.eval_loss.toFixed(3));
    expect(evals).toEqual([0.307, 0.356, 0.421, 0.452, 0.468]);
    expect(rows[0].step).toBeGreaterThan(0);
    expect(rows[0].values).not.toHaveProperty('epoch');
  });

  it('ignores the sys.maxsize epoch count HF writes when max_steps drives training', async () => {
    const run = await importFile(realLog('hf_whisper_tiny_long_healthy', 'trainer_state.json'));
    expect(run.run_started?.total_epochs).toBeUndefined();
    expect(run.run_started?.total_steps).toBe(100_000);
  });

  it('reads bare NaN written by json.dumps', () => {
    const doc = '{"max_steps": 10, "log_history": [{"loss": NaN, "grad_norm": Infinity, "step": 5, "epoch": 0.5}]}';
    const run = importContent(doc, 'hf_trainer_state', 'x');
    const [row] = metrics(run.events);
    expect(Number.isNaN(row.values.loss)).toBe(true);
    expect(row.values.grad_norm).toBe(Infinity);
  });
});

describe('detectron2 metrics.json import', () => {
  it('uses iteration as the step', async () => {
    const run = await importFile(realLog('detectron2_watermeters_healthy', 'metrics.json'));
    expect(run).toMatchObject({ name: 'detectron2_watermeters_healthy', format: 'detectron2', read: { skipped: 0 } });
    const rows = metrics(run.events);
    expect(rows).toHaveLength(90);
    expect(rows[0].step).toBe(19);
    expect(rows[0].values).not.toHaveProperty('iteration');
    expect(rows[0].values.total_loss).toBeCloseTo(4.64, 1);
    expect(rows.at(-1)!.values.total_loss).toBeLessThan(0.45);
  });
});

describe('format detection', () => {
  it('tells CSV with quoted headers from text logs with commas', async () => {
    const { detectFormat } = await import('../../src/ingest/files/detect.ts');
    expect(detectFormat('/x/out.csv', '"step","Train loss"\n1,0.5\n')).toBe('csv');
    expect(detectFormat('/x/training.log', 'epoch,accuracy,loss\n0,0.5,1.2\n')).toBe('keras_csv');
    expect(detectFormat('/x/training.log', '2023-05-15 22:50:17,398 INFO:Epoch 1: Train Loss=0.0717, Val Loss=0.0766\n')).toBe('text');
    // A bracketed prefix is a log line, not JSON: `[epoch 1] loss=0.6`, `[2019/06/24 16:19:45 INFO]`.
    expect(detectFormat('/x/train.log', '[epoch 1] train_loss=0.6519 val_loss=0.7211 lr=0.02\n[epoch 2] train_loss=0.6\n')).toBe('text');
    expect(detectFormat('/x/log.txt', '[2019/06/24 16:19:45 __main__ INFO] - Train 1\n')).toBe('text');
    // The Hugging Face Trainer's console output: Python dicts, one per line, read by the text reader.
    expect(detectFormat('/x/train.log', "{'loss': 2.1234, 'learning_rate': 4.5e-05, 'epoch': 0.1}\n")).toBe('text');
    expect(detectFormat('/x/a.jsonl', '{"loss": 2.1}\n')).toBe('jsonl');
    // TensorFlow 1's estimator lines: one comma each, and `INFO:...` is no infinity.
    expect(detectFormat('/x/train.log', 'INFO:tensorflow:loss = 2.3025851, step = 0\nINFO:tensorflow:loss = 1.98, step = 100\n')).toBe('text');
    expect(detectFormat('/x/a.jsonl', '[1, 2, 3]\n')).toBe('json');
    expect(detectFormat('/x/run/trainer_state.json', '{\n  "log_history": []\n}')).toBe('hf_trainer_state');
    expect(detectFormat('/x/metrics.json', '{"iteration": 19, "total_loss": 2.7}\n{"iteration": 39}\n')).toBe('detectron2');
    expect(detectFormat('/x/run/events.out.tfevents.1.host', '\u0018\u0000')).toBe('tfevents');
  });

  it('tells a document from the head of a file a tailer read, and refuses a document of the wrong shape', async () => {
    const { detectFormat } = await import('../../src/ingest/files/detect.ts');
    const head = readFileSync(realLog('hf_neiro_cls_overfit', 'trainer_state.json'), 'utf8').slice(0, 4096);
    expect(detectFormat('/x/state.json', head)).toBe('hf_trainer_state');
    expect(detectFormat('/x/stage/training_info.json', '{\n  "model_name": "m",\n  "hist')).toBe('lineage');
    expect(() => importContent('{"history": []}', 'hf_trainer_state', 'x')).toThrow(/not a hf_trainer_state document/);
    await expect(importFile(realLog('keras_car_cnn_val_plateau', 'training.log'), { format: 'lineage' })).rejects.toMatchObject({
      code: 'invalid_body',
    });
  });
});

describe('Keras history.json import', () => {
  it('turns lists per metric into one event per epoch, from a file json.dump wrote', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'hist-')), 'history.json');
    writeFileSync(file, '{"loss": [0.9, 0.5, NaN], "val_loss": [1.0, 0.7, 0.8], "lr": [0.001, 0.001, 0.0005]}');
    const run = await importFile(file);
    expect(run.format).toBe('keras_history');
    expect(run.name).toBe(path.basename(path.dirname(file)));
    const rows = metrics(run.events);
    expect(rows.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(rows[1].values).toEqual({ loss: 0.5, val_loss: 0.7, lr: 0.001 });
    expect(Number.isNaN(rows[2].values.loss)).toBe(true);
  });

  it('recognises big histories from the head of the file, one-line or pretty-printed', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'hist-big-'));
    const history = { loss: Array.from({ length: 5000 }, (_, i) => 1 / (i + 1)), val_loss: Array.from({ length: 5000 }, () => 0.5) };
    for (const [name, text] of [['one-line.json', JSON.stringify(history)], ['pretty.json', JSON.stringify(history, null, 2)]]) {
      writeFileSync(path.join(dir, name), text);
      expect(text.length).toBeGreaterThan(64 * 1024);
      const run = await importFile(path.join(dir, name));
      expect(run.format, name).toBe('keras_history');
      expect(run.events).toHaveLength(5000);
    }
  });
});
