import { afterEach, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function postText(base: string, run: string, text: string, type = 'text/plain') {
  const res = await fetch(`${base}/runs/${run}/logs`, { method: 'POST', headers: { 'content-type': type }, body: text });
  return { status: res.status, body: await res.json() };
}

async function events(base: string, run: string): Promise<any[]> {
  return (await api(base, `/runs/${run}/events?after_seq=0&limit=10000`)).body.events;
}

/** Each format once, with what its line must yield beside the log. */
const FORMATS: Array<[string, string, Record<string, unknown> | null]> = [
  ['seed 3 epoch start', 'Epoch [3/10] started', null],
  ['seed 3 train', 'Train Loss: 0.5234, Train Accuracy: 82.45%', { train_loss: 0.5234, train_acc: 82.45 }],
  ['seed 3 validation', 'Validation Loss: 0.6123, Validation Accuracy: 78.92%', { val_loss: 0.6123, val_acc: 78.92 }],
  ['seed 3 F1', 'Validation macro_F1: 0.7654', { val_macro_f1: 0.7654 }],
  ['seed 3 top-k', "Validation Top-k Accuracy: {'top1': 78.92, 'top3': 92.34, 'top5': 96.78}", { val_top1: 78.92, val_top3: 92.34, val_top5: 96.78 }],
  ['seed 3 best', 'New best model saved with Accuracy: 79.12%', { best_acc: 79.12 }],
  [
    'Keras progress',
    '1875/1875 [==============================] - 5s 3ms/step - loss: 0.2950 - accuracy: 0.9156 - val_loss: 0.1442 - val_accuracy: 0.9570',
    { loss: 0.295, accuracy: 0.9156, val_loss: 0.1442, val_accuracy: 0.957 },
  ],
  ['Hugging Face dict', "{'loss': 0.51, 'learning_rate': 2e-05, 'epoch': 1.0}", { loss: 0.51, learning_rate: 2e-5 }],
  ['Lightning bar', 'Epoch 2: 100%|██████████| 469/469 [00:12<00:00, 38.2it/s, loss=0.123, v_num=0, val_loss=0.145]', { loss: 0.123, val_loss: 0.145, 'it/s': 38.2 }],
  ['key=value', 'step=120 loss=0.42 lr=0.001', { loss: 0.42, lr: 0.001 }],
  ['key: value', 'train_loss: 0.31 | grad_norm: 1.7', { train_loss: 0.31, grad_norm: 1.7 }],
];

describe('POST /runs/:id/logs', () => {
  for (const [name, line, values] of FORMATS) {
    it(`${name}: the line is a log${values ? ' and its metrics' : ''}`, async () => {
      server ??= await testServer();
      const run = (await api(server.url, '/runs', { method: 'POST', json: { name } })).body.id;
      const r = await postText(server.url, run, `${line}\n`);
      expect(r.status).toBe(200);
      expect(r.body.lines).toBe(1);
      const stored = await events(server.url, run);
      expect(stored[0]).toMatchObject({ type: 'log', message: line, seq: 1 });
      if (values) {
        const metrics = stored.find((e) => e.type === 'metrics');
        expect(metrics.values).toEqual(values);
        expect(metrics.seq).toBe(2);
      }
    });
  }

  it('keeps the epoch across requests, stores lines no parser knows, reads levels, accepts JSON', async () => {
    server = await testServer();
    const run = (await api(server.url, '/runs', { method: 'POST', json: { name: 'mixed' } })).body.id;
    await postText(server.url, run, 'Epoch [5/10] started\r\n');
    const r = await postText(server.url, run, 'Train Loss: 0.40, Train Accuracy: 88.1%\nnothing to read here\n2024-05-01 10:00:00 ERROR disk full\n\n');
    expect(r.body).toMatchObject({ lines: 3, parsed: 1 });
    const json = await api(server.url, `/runs/${run}/logs`, {
      method: 'POST',
      json: { lines: ['Validation Loss: 0.55', { message: 'custom', level: 'WARN', ts: '2024-05-01T10:00:01Z' }] },
    });
    expect(json.status).toBe(200);
    const stored = await events(server.url, run);
    const logs = stored.filter((e) => e.type === 'log');
    expect(logs.map((l) => l.message)).toEqual([
      'Epoch [5/10] started',
      'Train Loss: 0.40, Train Accuracy: 88.1%',
      'nothing to read here',
      '2024-05-01 10:00:00 ERROR disk full',
      'Validation Loss: 0.55',
      'custom',
    ]);
    expect(logs.map((l) => l.level)).toEqual(['info', 'info', 'info', 'error', 'info', 'warning']);
    expect(logs[5].ts).toBe(Date.parse('2024-05-01T10:00:01Z'));
    const metrics = stored.filter((e) => e.type === 'metrics');
    expect(metrics.map((m) => [m.epoch, m.values])).toEqual([
      [5, { train_loss: 0.4, train_acc: 88.1 }],
      [5, { val_loss: 0.55 }],
    ]);
    expect((await api(server.url, `/runs/${run}`)).body).toMatchObject({ epoch: 5, total_epochs: 10 });
  });

  it('refuses other media types, too many lines and unknown runs', async () => {
    server = await testServer({ ANALYST_MAX_BATCH_EVENTS: '3' });
    const run = (await api(server.url, '/runs', { method: 'POST', json: { name: 'limits' } })).body.id;
    expect((await postText(server.url, run, 'a', 'application/xml')).status).toBe(415);
    expect((await postText(server.url, run, 'a\nb\nc\nd\ne')).status).toBe(413);
    expect((await postText(server.url, 'nope', 'a')).status).toBe(404);
    expect((await postText(server.url, run, '{"lines": [1]}', 'application/json')).status).toBe(400);
  });
});
