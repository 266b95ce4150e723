import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '@node-rs/crc32';
import { parse } from 'csv-parse/sync';
import { TfeventsReader } from '../../src/ingest/tfevents/event-file.ts';
import { decodeEvent, scalarsOf } from '../../src/ingest/tfevents/scalars.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([testServer(), testServer()]);
});
afterAll(async () => Promise.all([a.stop(), b.stop()]));

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** An overfitting run with a log line, a checkpoint, a NaN gradient norm and a learning rate logged apart. */
function overfittingRun() {
  const events: unknown[] = [{ type: 'run_started', ts: T0, config: { lr: 0.01, batch_size: 32 }, meta: { git_commit: 'abc123', python: '3.11' }, total_epochs: 30 }];
  let step = 0;
  for (let epoch = 1; epoch <= 30; epoch++) {
    for (let k = 0; k < 4; k++) {
      step++;
      const values: Record<string, unknown> = { loss: 2 / (1 + step / 10), grad_norm: step === 50 ? 'NaN' : 1 + 1 / step };
      events.push({ type: 'metrics', step, epoch, ts: T0 + step * 1000, values });
      events.push({ type: 'metrics', step, ts: T0 + step * 1000 + 1, values: { learning_rate: 0.01 } });
    }
    events.push({ type: 'metrics', step, epoch, ts: T0 + step * 1000 + 2, values: { val_loss: epoch < 10 ? 1.5 - epoch * 0.05 : 1 + (epoch - 10) * 0.05, val_acc: 0.5 + Math.min(epoch, 10) * 0.02 } });
    events.push({ type: 'epoch_ended', epoch, ts: T0 + step * 1000 + 3 });
    if (epoch === 10) events.push({ type: 'checkpoint_saved', path: 'ckpt/epoch10.pt', step, epoch, metric: 'val_loss', value: 1, ts: T0 + step * 1000 + 4 });
  }
  events.push({ type: 'log', level: 'warning', message: 'validation loss went up again', ts: T0 + 200_000 });
  events.push({ type: 'run_finished', status: 'completed', ts: T0 + 200_001 });
  return events;
}

// Findings raised by the same event may be listed in either order: they are compared by kind.
const byKind = (fs: any[]) => fs.map(comparable).sort((x, y) => x.kind.localeCompare(y.kind));
const comparable = (f: any) => ({ kind: f.kind, severity: f.severity, status: f.status, step: f.step, epoch: f.epoch, message: f.message, evidence: f.evidence, actions: f.actions });
const withoutSeq = ({ seq: _s, ...rest }: any) => rest;

describe('a run record', () => {
  it('exported as JSON and imported into another server gives back the same points, events, findings and analysis', async () => {
    const created = await api(a.url, '/runs', { method: 'POST', json: { name: 'resnet-overfit', project: 'records', tags: { team: 'vision' } } });
    const id = created.body.id;
    expect((await api(a.url, `/runs/${id}/events`, { method: 'POST', json: overfittingRun() })).status).toBe(200);

    const exported = await api(a.url, `/runs/${id}/export?format=json`);
    expect(exported.status).toBe(200);
    const record = exported.body;
    expect(record).toMatchObject({ format: 'training-analyst/run-record', version: 1, run: { id, name: 'resnet-overfit', project: 'records', status: 'completed', config: { lr: 0.01, batch_size: 32 }, meta: { git_commit: 'abc123' }, tags: { team: 'vision' }, total_epochs: 30 } });
    expect(record.series.map((s: any) => [s.name, s.canonical, s.points.length])).toEqual([
      ['grad_norm', 'grad_norm', 120],
      ['learning_rate', 'lr', 120],
      ['loss', 'train_loss', 120],
      ['val_acc', 'val_acc', 30],
      ['val_loss', 'val_loss', 30],
    ]);
    expect(record.series[0].points[49]).toMatchObject({ step: 50, epoch: 13, value: 'NaN' });
    expect(record.events.map((e: any) => e.type).filter((t: string) => t !== 'epoch_ended')).toEqual(['run_started', 'checkpoint_saved', 'log', 'run_finished']);
    expect(record.findings.map((f: any) => f.kind)).toEqual(expect.arrayContaining(['overfitting', 'nan_loss']));

    const imported = await api(b.url, '/runs/import-record', { method: 'POST', json: record });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ imported_from: id, points: 420, run: { name: 'resnet-overfit', project: 'records', status: 'completed', tags: { team: 'vision' } } });
    const copy = (await api(b.url, `/runs/${imported.body.run.id}/export?format=json`)).body;

    expect(copy.run).toEqual({ ...record.run, id: copy.run.id, created_at: copy.run.created_at });
    expect(copy.series.map((s: any) => ({ ...s, points: s.points.map(withoutSeq) }))).toEqual(record.series.map((s: any) => ({ ...s, points: s.points.map(withoutSeq) })));
    expect(copy.events.map(withoutSeq)).toEqual(record.events.map(withoutSeq));
    expect(byKind(copy.findings)).toEqual(byKind(record.findings));
    expect(copy.analysis).toEqual({ ...record.analysis, run: copy.run.id });
  });

  it('refuses a record that is not one with the path of what is wrong, and writes nothing', async () => {
    const before = (await api(b.url, '/runs')).body.total;
    const wrongVersion = await api(b.url, '/runs/import-record', { method: 'POST', json: { format: 'training-analyst/run-record', version: 99 } });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.body.error.issues.map((d: any) => d.path)).toContain('version');
    const created = await api(a.url, '/runs', { method: 'POST', json: { name: 'small', project: 'records' } });
    await api(a.url, `/runs/${created.body.id}/metrics`, { method: 'POST', json: { step: 1, loss: 1 } });
    const record = (await api(a.url, `/runs/${created.body.id}/export`)).body;
    record.series[0].points[0].value = 'lots';
    const bad = await api(b.url, '/runs/import-record', { method: 'POST', json: record });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('series.0.points.0.value');
    expect((await api(b.url, '/runs')).body.total).toBe(before);
    expect((await api(a.url, '/runs/nope/export')).status).toBe(404);
    expect((await api(a.url, `/runs/${created.body.id}/export?format=xml`)).status).toBe(400);
  });
});

/** What pandas.read_csv gives for a cell: a number, NaN for "NaN" and for an empty cell, ±inf. */
const number = (cell: string) => (cell === '' ? NaN : cell === 'inf' ? Infinity : cell === '-inf' ? -Infinity : Number(cell));

describe('a run as CSV', () => {
  let id: string;
  beforeAll(async () => {
    id = (await api(a.url, '/runs', { method: 'POST', json: { name: 'csv-run', project: 'records' } })).body.id;
    await api(a.url, `/runs/${id}/events`, { method: 'POST', json: overfittingRun() });
  });

  it('has a row per epoch and a column per metric, each the last value of the epoch', async () => {
    const res = await fetch(`${a.url}/runs/${id}/export?format=csv`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...rows]: string[][] = parse(await res.text());
    expect(header).toEqual(['epoch', 'step', 'time', 'grad_norm', 'learning_rate', 'loss', 'val_acc', 'val_loss']);
    expect(rows).toHaveLength(30);
    const col = (name: string) => header.indexOf(name);
    for (const [i, row] of rows.entries()) {
      const epoch = i + 1;
      const step = epoch * 4;
      expect(number(row[col('epoch')])).toBe(epoch);
      expect(number(row[col('step')])).toBe(step);
      expect(row[col('time')]).toBe(new Date(T0 + step * 1000 + 2).toISOString());
      expect(number(row[col('loss')])).toBe(2 / (1 + step / 10));
      expect(number(row[col('val_loss')])).toBe(epoch < 10 ? 1.5 - epoch * 0.05 : 1 + (epoch - 10) * 0.05);
      // Logged without an epoch: in the step table only.
      expect(row[col('learning_rate')]).toBe('');
    }
  });

  it('has a row per step with ?level=step, non-finite values spelled as pandas reads them', async () => {
    const [header, ...rows]: string[][] = parse(await (await fetch(`${a.url}/runs/${id}/export?format=csv&level=step`)).text());
    expect(rows).toHaveLength(120);
    const col = (name: string) => header.indexOf(name);
    expect(rows.map((r) => number(r[col('step')]))).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(rows[49][col('grad_norm')]).toBe('NaN');
    expect(number(rows[50][col('grad_norm')])).toBe(1 + 1 / 51);
    expect(rows.every((r) => number(r[col('learning_rate')]) === 0.01)).toBe(true);
    expect(rows.filter((r) => r[col('val_loss')] !== '')).toHaveLength(30);
    expect((await api(a.url, `/runs/${id}/export?format=json&level=step`)).status).toBe(400);
  });
});

// TFRecord's checksum, written out here from its definition rather than taken from the project's reader.
const masked = (bytes: Uint8Array) => {
  const c = crc32c(Buffer.from(bytes));
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

/** The records of a TFRecord file, each one's framing checked against the format. */
function records(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < file.length; ) {
    const length = Number(file.readBigUInt64LE(pos));
    expect(file.readUInt32LE(pos + 8)).toBe(masked(file.subarray(pos, pos + 8)));
    const data = file.subarray(pos + 12, pos + 12 + length);
    expect(file.readUInt32LE(pos + 12 + length)).toBe(masked(data));
    out.push(data);
    pos += 12 + length + 4;
  }
  return out;
}

describe('a run as a TensorBoard event file', () => {
  it('holds every point with a step, framed as TFRecords, that the reader reads back bit for bit', async () => {
    const id = (await api(a.url, '/runs', { method: 'POST', json: { name: 'tb-run', project: 'records' } })).body.id;
    await api(a.url, `/runs/${id}/events`, { method: 'POST', json: overfittingRun() });
    const res = await fetch(`${a.url}/runs/${id}/export?format=tfevents`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/filename="events\.out\.tfevents\.\d+\./);
    expect(res.headers.get('x-points-left-out')).toBe('0');
    const file = Buffer.from(await res.arrayBuffer());
    const record = (await api(a.url, `/runs/${id}/export`)).body;

    const events = records(file).map(decodeEvent);
    expect(events[0].file_version).toBe('brain.Event:2');
    // Every scalar record, in order: each point at its step and time, an epoch after each event that had one.
    const logged = record.series
      .flatMap((s: any) => s.points.map((p: any) => ({ ...p, name: s.name })))
      .sort((x: any, y: any) => x.seq - y.seq || (x.name < y.name ? -1 : 1));
    const written = events.slice(1).map((e) => {
      const { values, step, ts } = scalarsOf(e);
      return { name: values[0][0], value: values[0][1], step, ts };
    });
    const expected: unknown[] = [];
    logged.forEach((p: any, i: number) => {
      const value = p.value === 'NaN' ? NaN : p.value;
      expected.push({ name: p.name, value, step: p.step, ts: p.ts });
      if (logged[i + 1]?.seq !== p.seq && p.epoch !== null) expected.push({ name: 'epoch', value: p.epoch, step: p.step, ts: p.ts });
    });
    expect(written).toEqual(expected);

    // The project's reader, as `POST /runs/:id/import` and `analyst watch` use it.
    const reader = new TfeventsReader();
    const read = [...reader.push(file), ...reader.end()];
    expect(reader.tally.examples).toEqual([]);
    const readPoints = (name: string) => read.flatMap((e: any) => (name in e.values ? [{ step: e.step, value: e.values[name] }] : []));
    for (const s of record.series) {
      expect(readPoints(s.name), s.name).toEqual(s.points.map((p: any) => ({ step: p.step, value: p.value === 'NaN' ? NaN : p.value })));
    }
    expect(read.filter((e: any) => 'val_loss' in e.values).map((e: any) => e.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    // And imported into another server, the same series.
    const copyId = (await api(b.url, '/runs', { method: 'POST', json: { name: 'tb-copy' } })).body.id;
    const imported = await api(b.url, `/runs/${copyId}/import?filename=events.out.tfevents.1.host`, { method: 'POST', body: file });
    expect(imported.status).toBe(200);
    const copy = (await api(b.url, `/runs/${copyId}/export`)).body;
    const stepsAndValues = (series: any[]) => series.map((s) => ({ name: s.name, points: s.points.map((p: any) => [p.step, p.value]) }));
    expect(stepsAndValues(copy.series)).toEqual(stepsAndValues(record.series));
  });

  it('counts the points it cannot hold: a TensorBoard scalar needs a step', async () => {
    const id = (await api(a.url, '/runs', { method: 'POST', json: { name: 'tb-epochs', project: 'records' } })).body.id;
    await api(a.url, `/runs/${id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 10, values: { loss: 1 } }, { type: 'metrics', epoch: 1, values: { val_loss: 2, val_acc: 0.5 } }] });
    const res = await fetch(`${a.url}/runs/${id}/export?format=tfevents`);
    expect(res.headers.get('x-points-left-out')).toBe('2');
    expect(records(Buffer.from(await res.arrayBuffer()))).toHaveLength(2);
  });
});
