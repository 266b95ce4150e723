import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsInput } from '../../../src/domain/events.ts';
import { importFile } from '../../../src/ingest/files/import-file.ts';
import { crc32cRange, maskedCrc32c } from '../../../src/ingest/tfevents/crc.ts';
import { readEventFile, TfeventsReader } from '../../../src/ingest/tfevents/event-file.ts';
import { TfRecordReader } from '../../../src/ingest/tfevents/record-reader.ts';
import { DATASETS, realLog } from '../../helpers/datasets.ts';
import { doubleTensorScalar, encodeEvent, fileVersion, frame, simpleScalar } from './write-events.ts';

const VECTOR = path.join(DATASETS, 'tfevents', 'events.out.tfevents.1599759586.testvector');
const metrics = (events: { type: string }[]) => events.filter((e): e is MetricsInput => e.type === 'metrics');

describe('TFRecord framing', () => {
  it('masks CRC-32C the way TensorFlow does', () => {
    expect(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1'))).toBe(0x5794d08a);
  });

  it('computes CRC-32C the same way for small records (table) and large ones (native)', () => {
    const reference = (bytes: Uint8Array) => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    expect(crc32cRange(Buffer.from('123456789'), 0, 9)).toBe(0xe3069283);
    const data = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    for (const [start, end] of [[0, 1000], [3, 200], [10, 700]]) {
      expect(crc32cRange(data, start, end)).toBe(reference(data.subarray(start, end)));
    }
  });

  it('reads the two records of tf.summary.scalar("accuracy", 0.99, step=77)', async () => {
    const run = await readEventFile(VECTOR);
    expect(run.read.skipped).toBe(0);
    expect(run.events).toHaveLength(1);
    const [event] = metrics(run.events);
    expect(event.step).toBe(77);
    expect(event.values.accuracy).toBeCloseTo(0.99, 6);
    expect(event.ts).toBe(Math.round(1599759606.859727 * 1000));
  });

  it('returns complete records from a file cut anywhere and waits for the rest', () => {
    const bytes = readFileSync(VECTOR);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const reader = new TfRecordReader();
      const first = reader.push(bytes.subarray(0, cut));
      const expected = cut >= 40 ? 1 : 0; // record 1 is 12 + 24 + 4 bytes
      expect(first.records).toHaveLength(cut === bytes.length ? 2 : expected);
      expect(first.errors).toEqual([]);
      const rest = reader.push(bytes.subarray(cut));
      expect(first.records.length + rest.records.length).toBe(2);
      expect(reader.waiting).toBe(0);
    }
  });

  it('reports an incomplete last record as truncated when the stream ends', () => {
    const reader = new TfeventsReader();
    const bytes = readFileSync(VECTOR);
    expect(reader.push(bytes.subarray(0, bytes.length - 3))).toEqual([]);
    expect(reader.end()).toEqual([]);
    expect(reader.tally.examples).toEqual([expect.objectContaining({ code: 'truncated_record', offset: 40 })]);
  });

  it('skips a record whose data CRC fails and goes on to the next', () => {
    const good = [simpleScalar('loss', 1, 1), simpleScalar('loss', 2, 2), simpleScalar('loss', 3, 3)];
    const bad = Buffer.from(good[1]);
    bad[20] ^= 0xff;
    const reader = new TfeventsReader();
    const events = metrics(reader.push(Buffer.concat([good[0], bad, good[2]])));
    expect(events.map((e) => e.values.loss)).toEqual([1, 3]);
    expect(reader.tally.examples).toEqual([expect.objectContaining({ code: 'bad_data_crc', offset: good[0].length })]);
  });

  it('resynchronises after a corrupt length header and reports it once', () => {
    const good = [simpleScalar('loss', 1, 1), simpleScalar('loss', 2, 2), simpleScalar('loss', 3, 3)];
    const bad = Buffer.from(good[1]);
    bad[2] ^= 0x40; // a length byte: the length CRC no longer matches
    const reader = new TfeventsReader();
    const events = metrics(reader.push(Buffer.concat([good[0], bad, good[2]])));
    expect(events.map((e) => e.values.loss)).toEqual([1, 3]);
    expect(reader.tally.examples.map((i) => i.code)).toEqual(['bad_length_crc']);
  });
});

describe('TensorBoard scalars', () => {
  it('reads simple_value scalars and double tensors, groups one step into one event, and keeps the epoch out of values', () => {
    const bytes = Buffer.concat([
      fileVersion(),
      simpleScalar('train/loss', 0.5, 10),
      simpleScalar('train/grad_norm', 2, 10),
      simpleScalar('train/epoch', 0.25, 10),
      doubleTensorScalar('eval/loss', 0.75, 20),
      simpleScalar('train/loss', NaN, 30),
      frame(encodeEvent({ step: 31, summary: { value: [{ tag: 'weights', tensor: { dtype: 1, tensor_shape: { dim: [{ size: 2 }] }, float_val: [1, 2] } }] } })),
    ]);
    const reader = new TfeventsReader();
    const events = metrics(reader.push(bytes));
    expect(events).toEqual([
      { type: 'metrics', step: 10, epoch: 0.25, ts: 1_700_000_010_000, values: { 'train/loss': 0.5, 'train/grad_norm': 2 } },
      { type: 'metrics', step: 20, epoch: 0.25, ts: 1_700_000_020_000, values: { 'eval/loss': 0.75 } },
      { type: 'metrics', step: 30, epoch: 0.25, ts: 1_700_000_030_000, values: { 'train/loss': NaN } },
    ]);
  });

  it('reads rank-0 tensors from float_val and from 8-byte double tensor_content', () => {
    const content = Buffer.alloc(8);
    content.writeDoubleLE(0.123456789, 0);
    const bytes = Buffer.concat([
      frame(encodeEvent({ step: 1, summary: { value: [{ tag: 'a', tensor: { dtype: 1, tensor_shape: {}, float_val: [0.5] } }] } })),
      frame(encodeEvent({ step: 2, summary: { value: [{ tag: 'b', tensor: { dtype: 2, tensor_shape: {}, tensor_content: content } }] } })),
      frame(encodeEvent({ step: 3, summary: { value: [{ tag: 'c', tensor: { dtype: 7, tensor_shape: {}, tensor_content: Buffer.from('text') } }] } })),
    ]);
    expect(metrics(new TfeventsReader().push(bytes))).toEqual([
      { type: 'metrics', step: 1, values: { a: 0.5 } },
      { type: 'metrics', step: 2, values: { b: 0.123456789 } },
    ]);
  });

  it.each([
    ['hf_t5_summarization_tfevents', 'train/loss', 430],
    ['lightning_mnist_cnn_tfevents', 'val_loss', 5],
    ['tfevents_keras_irfanet_overfit', 'val_loss', 133],
    ['tfevents_lora_roberta_healthy', 'eval/loss', 12],
    ['tfevents_lora_roberta_lr_too_low', 'train/loss', 12],
    ['tfevents_radio_val_explodes', 'Loss/Val_Epoch', 15],
  ])('imports the real event file of %s (%s: %i points)', async (name, tag, points) => {
    const run = await importFile(path.dirname(realLog(name, 'x')));
    expect(run).toMatchObject({ name, format: 'tfevents', read: { skipped: 0 } });
    const series = metrics(run.events).filter((e) => tag in e.values);
    expect(series).toHaveLength(points);
    expect(series.every((e, i) => i === 0 || e.step! >= series[i - 1].step!)).toBe(true);
  });

  it('reads the Lightning epoch scalar into the events epoch, and tells event files by content when renamed', async () => {
    const bytes = readFileSync(path.join(path.dirname(realLog('lightning_mnist_cnn_tfevents', 'x')), 'events.out.tfevents.1785441771.squirrels-iMac.local.1798.3'));
    const dir = mkdtempSync(path.join(tmpdir(), 'tfev-'));
    const renamed = path.join(dir, 'mnist.bin');
    writeFileSync(renamed, bytes);
    const run = await importFile(renamed);
    expect(run.format).toBe('tfevents');
    const last = metrics(run.events).at(-1)!;
    expect(last.epoch).toBe(4);
    expect(last.values.val_loss).toBeCloseTo(0.0569, 4);
    expect(last.values).not.toHaveProperty('epoch');
  });

  it('merges the event files of a run directory in timestamp order', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'tfdir-')), 'version_0');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'events.out.tfevents.1700000100.host.1.0'), Buffer.concat([fileVersion(), simpleScalar('loss', 0.5, 2)]));
    writeFileSync(path.join(dir, 'events.out.tfevents.1700000000.host.1.0'), Buffer.concat([fileVersion(), simpleScalar('loss', 0.75, 1)]));
    writeFileSync(path.join(dir, 'notes.txt'), 'not an event file');
    const run = await importFile(dir);
    expect(run.name).toBe('version_0');
    expect(metrics(run.events).map((e) => [e.step, e.values.loss])).toEqual([
      [1, 0.75],
      [2, 0.5],
    ]);
  });

  it("reads the parts of a run in subdirectories, each tag named by its part and interleaved by step (Keras's train/ and validation/, PyTorch's add_scalars)", async () => {
    const { mkdirSync } = await import('node:fs');
    const keras = path.join(mkdtempSync(path.join(tmpdir(), 'tfdir-')), '20240101-120000');
    for (const [part, values] of [['train', [0.9, 0.6, 0.5]], ['validation', [0.8, 0.7, 0.75]]] as const) {
      mkdirSync(path.join(keras, part), { recursive: true });
      const records = values.map((v, epoch) => doubleTensorScalar('epoch_loss', v, epoch));
      writeFileSync(path.join(keras, part, `events.out.tfevents.1700000000.host.1.${part}.v2`), Buffer.concat([fileVersion(), ...records]));
    }
    const run = await importFile(keras);
    expect(run.name).toBe('20240101-120000');
    expect(metrics(run.events).map((e) => [e.step, e.values])).toEqual([
      [0, { 'train/epoch_loss': 0.9 }],
      [0, { 'validation/epoch_loss': 0.8 }],
      [1, { 'train/epoch_loss': 0.6 }],
      [1, { 'validation/epoch_loss': 0.7 }],
      [2, { 'train/epoch_loss': 0.5 }],
      [2, { 'validation/epoch_loss': 0.75 }],
    ]);
    expect(run.read.mapped).toEqual({ train_loss: ['train/epoch_loss'], val_loss: ['validation/epoch_loss'] });

    const scalars = mkdtempSync(path.join(tmpdir(), 'tfdir-'));
    writeFileSync(path.join(scalars, 'events.out.tfevents.1700000000.host.1.0'), Buffer.concat([fileVersion(), simpleScalar('lr', 0.125, 1)]));
    for (const [part, v] of [['Loss_train', 0.5], ['Loss_val', 0.75]] as const) {
      mkdirSync(path.join(scalars, part));
      writeFileSync(path.join(scalars, part, 'events.out.tfevents.1700000001.host.1.0'), Buffer.concat([fileVersion(), simpleScalar('Loss', v, 1)]));
    }
    const added = await importFile(scalars);
    expect(metrics(added.events).map((e) => e.values)).toEqual([{ lr: 0.125 }, { 'Loss/train': 0.5 }, { 'Loss/val': 0.75 }]);
    expect(added.read).toMatchObject({ points: 3, mapped: { lr: ['lr'], train_loss: ['Loss/train'], val_loss: ['Loss/val'] } });
  });

  it('decodes a scalar-dense file of 100k records (speed is measured by npm run bench)', () => {
    const one = Buffer.concat(Array.from({ length: 1000 }, (_, i) => simpleScalar('train/loss', 1 / (i + 1), i)));
    const bytes = Buffer.concat(Array.from({ length: 100 }, () => one)); // 100k records
    const events = new TfeventsReader().push(bytes);
    expect(events).toHaveLength(100_000);
  });
});
