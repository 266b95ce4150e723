import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_LOGS } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const REAL = REAL_LOGS;
let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

async function importInto(name: string, file: string, filename: string) {
  const run = (await api(s.url, '/runs', { method: 'POST', json: { name, project: 'imports' } })).body;
  const res = await fetch(`${s.url}/runs/${run.id}/import?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(`${REAL}/${file}`),
  });
  return { run, status: res.status, body: (await res.json()) as any };
}

describe('POST /runs/:id/import', () => {
  it('imports a trainer_state.json, once however often it is sent, and diagnoses it', async () => {
    const first = await importInto('whisper', 'hf_whisper_small_hi_overfit/trainer_state.json', 'trainer_state.json');
    expect(first.status).toBe(200);
    expect(first.body.read).toMatchObject({ file: 'trainer_state.json', format: 'hf_trainer_state', skipped: 0, mapped: { train_loss: ['loss'], val_loss: ['eval_loss'] } });
    expect(first.body.accepted).toBeGreaterThan(100);
    const again = await fetch(`${s.url}/runs/${first.run.id}/import?filename=trainer_state.json`, {
      method: 'POST',
      body: readFileSync(`${REAL}/hf_whisper_small_hi_overfit/trainer_state.json`),
    });
    const second = (await again.json()) as any;
    expect(second.accepted).toBe(0);
    expect(second.duplicates).toBe(first.body.accepted);
    const findings = await api(s.url, `/runs/${first.run.id}/findings`);
    expect(findings.body.findings.map((f: any) => f.kind)).toContain('overfitting');
  });

  it('accepts a multipart/form-data upload (curl -F file=@trainer_state.json), named by its file part', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'uploaded', project: 'imports' } })).body;
    const form = new FormData();
    form.append('file', new Blob([readFileSync(`${REAL}/hf_whisper_small_hi_overfit/trainer_state.json`)]), 'trainer_state.json');
    const res = await fetch(`${s.url}/runs/${run.id}/import`, { method: 'POST', body: form });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.accepted).toBeGreaterThan(100);
    expect(body.read).toMatchObject({ file: 'trainer_state.json', format: 'hf_trainer_state', skipped: 0 });

    const post = async (form: FormData) => {
      const r = await fetch(`${s.url}/runs/${run.id}/import`, { method: 'POST', body: form });
      return { status: r.status, body: (await r.json()) as any };
    };
    const noFile = new FormData();
    noFile.append('note', 'no file here');
    const none = await post(noFile);
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'invalid_body', issues: [{ path: 'file' }] });
    expect(none.body.error.message).toMatch(/no file part \(fields: note\)/);
    const two = new FormData();
    two.append('a', new Blob(['loss\n1\n']), 'a.csv');
    two.append('b', new Blob(['loss\n2\n']), 'b.csv');
    expect((await post(two)).status).toBe(400);
    const unreadable = new FormData();
    unreadable.append('file', new Blob(['starting\nall good\n']), 'train.log');
    const nothing = await post(unreadable);
    expect(nothing.status).toBe(422);
    expect(nothing.body.error.message).toMatch(/^train\.log: nothing to diagnose/);
  });

  it('imports a binary TensorBoard event file', async () => {
    const r = await importInto('tb', 'tfevents_keras_irfanet_overfit/events.out.tfevents.1508627367.brain', 'events.out.tfevents.1508627367.brain');
    expect(r.status).toBe(200);
    expect(r.body.read.format).toBe('tfevents');
    const m = await api(s.url, `/runs/${r.run.id}/metrics?names=val_loss&max_points=20`);
    expect(m.body.series[0].count).toBe(133);
  });

  it('stores only the new events when a file is imported again after it grew', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ step: i, loss: 2 / (i + 1), lr: 0.001 }));
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'grown', project: 'imports' } })).body;
    const send = (n: number) => api(s.url, `/runs/${run.id}/import?filename=metrics.jsonl`, { method: 'POST', body: lines.slice(0, n).join('\n') + '\n' });
    const head = await send(40);
    expect(head.body.accepted).toBe(40);
    const whole = await send(100);
    expect(whole.body).toMatchObject({ accepted: 60, duplicates: 40 });
    const m = await api(s.url, `/runs/${run.id}/metrics?names=loss`);
    expect(m.body.series[0].count).toBe(100);
  });

  it('refuses an empty body and an unknown format with 400, never 500', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'bad-import', project: 'imports' } })).body;
    const empty = await fetch(`${s.url}/runs/${run.id}/import`, { method: 'POST' });
    expect(empty.status).toBe(400);
    const unknown = await fetch(`${s.url}/runs/${run.id}/import?format=excel`, { method: 'POST', body: 'a,b\n1,2\n' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.issues[0].path).toBe('format');
  });

  it('refuses a file whose configuration is nested past any real one, and writes nothing of it', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'deep-lineage', project: 'imports' } })).body;
    const doc = readFileSync('test/fixtures/lineage/bert-base-stage2/training_info.json', 'utf8');
    const deep = '['.repeat(20_000) + '1' + ']'.repeat(20_000);
    const body = doc.replaceAll('"hyperparams": {', `"hyperparams": {"layers": ${deep}, `);
    expect(body).not.toBe(doc);
    const r = await api(s.url, `/runs/${run.id}/import?filename=training_info.json`, { method: 'POST', body });
    expect(r.status).toBe(400);
    // Refused from the text, before anything is parsed: where the nesting goes too deep.
    expect(r.body.error.issues[0].path).toMatch(/^history\.0\.hyperparams\.layers\.0/);
    expect((await api(s.url, `/runs/${run.id}/events`)).body.events).toEqual([]);
  });

  it('reads a one-column CSV as a table, and reports a ragged row with its line', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'one-column', project: 'imports' } })).body;
    const post = (filename: string, body: string) => api(s.url, `/runs/${run.id}/import?filename=${filename}`, { method: 'POST', body });
    const one = await post('loss.csv', 'loss\n0.9\n0.7\n');
    expect(one.body).toMatchObject({ accepted: 2, read: { format: 'csv', lines: 3, points: 2, skipped: 0 } });
    const history = await api(s.url, `/runs/${run.id}/metrics?names=loss`);
    expect(history.body.series[0].points.map((p: any) => p.value)).toEqual([0.9, 0.7]);
    const ragged = await post('ragged.csv', 'loss,b\n1\n1,2,3\n');
    expect(ragged.status).toBe(200);
    expect(ragged.body).toMatchObject({ accepted: 1, read: { format: 'csv', skipped: 1, examples: [{ code: 'bad_row', line: 3, text: '1,2,3' }] } });
  });

  it('refuses with 422 and writes nothing when no metric can be diagnosed: unknown text, an empty log, binary content', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'nothing-to-read', project: 'imports' } })).body;
    const post = (filename: string, body: BodyInit) => api(s.url, `/runs/${run.id}/import?filename=${filename}`, { method: 'POST', body });
    const unknown = await post('train.log', 'starting\nlost_frames 3.5 of 7.25\nbleu: 31.2\n');
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('no_metrics');
    expect(unknown.body.error.message).toMatch(/^train\.log: nothing to diagnose: no loss, accuracy, gradient norm or step time among 1 value read from 3 lines \(text\)/);
    expect(unknown.body.error.issues).toEqual([
      { path: 'names', message: 'not understood: bleu (1)' },
      { path: 'line 2', message: 'skipped, numbers in a line no format reads: lost_frames 3.5 of 7.25' },
    ]);
    expect((await post('empty.log', '\n\n')).status).toBe(422);
    const binary = await post('model.bin', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 0x0a, 0x31, 0x2e, 0x35]));
    expect(binary.status).toBe(422);
    expect(binary.body.error.message).toMatch(/binary content that is not a TensorBoard event file/);
    expect((await api(s.url, `/runs/${run.id}/events`)).body.events).toEqual([]);
    expect((await api(s.url, `/runs/${run.id}`)).body.read).toEqual({});
  });

  it('keeps the latest import report and the log lines report in the run status', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'reported', project: 'imports' } })).body;
    await api(s.url, `/runs/${run.id}/import?filename=metrics.jsonl`, { method: 'POST', body: '{"step": 1, "loss": 0.5, "AngleError": 3.2}\n{"step": 2, "loss": 0.4\n' });
    const post = (text: string) => fetch(`${s.url}/runs/${run.id}/logs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
    const first = (await (await post('Train loss 0.35\nweird 1.5 line\n')).json()) as any;
    expect(first.read).toMatchObject({ format: 'logs', lines: 2, points: 1, skipped: 1 });
    await post('val loss 0.41\nanother 2.5 odd line\n');
    const status = (await api(s.url, `/runs/${run.id}`)).body;
    expect(status.read.import).toMatchObject({
      file: 'metrics.jsonl',
      format: 'jsonl',
      lines: 2,
      points: 2,
      skipped: 1,
      examples: [{ code: 'bad_json', line: 2, text: '{"step": 2, "loss": 0.4' }],
      mapped: { train_loss: ['loss'] },
      unmapped: { AngleError: 1 },
      unmapped_names: 1,
    });
    expect(status.read.logs).toMatchObject({ format: 'logs', lines: 4, points: 2, skipped: 2, mapped: { train_loss: ['train_loss'], val_loss: ['val_loss'] } });
    expect(status.read.logs.examples.map((e: any) => e.text)).toEqual(['weird 1.5 line', 'another 2.5 odd line']);
  });
});
