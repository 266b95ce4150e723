import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyst } from '../helpers/cli.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([testServer(), testServer()]);
});
afterAll(async () => Promise.all([a.stop(), b.stop()]));

describe('analyst export / import', () => {
  it('writes a run to a file and makes the same run of it on another server', async () => {
    const id = (await api(a.url, '/runs', { method: 'POST', json: { name: 'cli-record', project: 'records', config: { lr: 0.1 } } })).body.id;
    const events = Array.from({ length: 20 }, (_, i) => ({ type: 'metrics', step: i + 1, epoch: i + 1, ts: 1_700_000_000_000 + i * 1000, values: { train_loss: 1 / (i + 1), val_loss: 1 / (i + 1) + (i > 10 ? (i - 10) * 0.1 : 0) } }));
    await api(a.url, `/runs/${id}/events`, { method: 'POST', json: events });
    const file = join(a.dir, 'record.json');

    const exported = await analyst(['export', id, '--format', 'json', '-o', file, '--server', a.url, '--json']);
    expect(exported.code).toBe(0);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(JSON.parse(exported.stdout)).toEqual({ file, format: 'json', bytes: Buffer.byteLength(readFileSync(file)) });
    expect(record.run).toMatchObject({ id, name: 'cli-record', config: { lr: 0.1 } });

    const imported = await analyst(['import', file, '--server', b.url, '--json']);
    expect(imported.code).toBe(0);
    const out = JSON.parse(imported.stdout);
    expect(out).toMatchObject({ imported_from: id, points: 40, events: 20, run: { name: 'cli-record', project: 'records' } });
    const copy = (await api(b.url, `/runs/${out.run.id}/export`)).body;
    expect(copy.series).toEqual(record.series);
    expect(copy.analysis).toEqual({ ...record.analysis, run: out.run.id });

    const csv = await analyst(['export', id, '--format', 'csv', '--level', 'step', '--server', a.url]);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('epoch,step,time,train_loss,val_loss');
    expect(csv.stdout.trim().split('\n')).toHaveLength(21);

    const tb = join(a.dir, 'events.out.tfevents.1.host');
    expect((await analyst(['export', id, '--format', 'tfevents', '-o', tb, '--server', a.url])).code).toBe(0);
    expect(readFileSync(tb).readUInt32LE(0)).toBeGreaterThan(0);

    const missing = await analyst(['import', join(a.dir, 'nothing.json'), '--server', b.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nothing\.json/);
  });
});
