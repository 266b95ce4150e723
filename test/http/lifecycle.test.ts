// Runs that finish: a file's run ends as the file does, with the file's times; a live run that
// falls silent becomes stalled, then lost, and running again when it speaks.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_LOGS } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { until } from '../streams/clients.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const MIN = 60_000;

async function newRun(name: string) {
  return (await api(s.url, '/runs', { method: 'POST', json: { name, project: 'lifecycle' } })).body as { id: string };
}

async function importFile(name: string, filename: string, body: BodyInit) {
  const run = await newRun(name);
  const res = await api(s.url, `/runs/${run.id}/import?filename=${encodeURIComponent(filename)}`, { method: 'POST', body });
  expect(res.status).toBe(200);
  return { run, answer: res.body };
}

const status = async (id: string) => (await api(s.url, `/runs/${id}`)).body;
/** The run's alerts about itself (finished, failed, stalled), oldest first. */
const alerts = async (id: string) => ((await api(s.url, `/alerts?run=${id}&after=0`)).body.alerts as any[]).map((a) => a.type).filter((t) => t.startsWith('run.'));

describe('a run read from a file', () => {
  it('ends completed at the last time of a TensorBoard file, with its elapsed time from the file, and never stalls', async () => {
    const file = readFileSync(`${REAL_LOGS}/tfevents_keras_irfanet_overfit/events.out.tfevents.1508627367.brain`);
    const { run, answer } = await importFile('tb', 'events.out.tfevents.1508627367.brain', file);
    expect(answer.status).toBe('completed');
    const st = await status(run.id);
    expect(st).toMatchObject({ status: 'completed', timed: true });
    // Written in October 2017: the run's times are the file's, not the import's.
    expect(st.started_at).toBeGreaterThan(Date.UTC(2017, 9, 21));
    expect(st.started_at).toBeLessThan(Date.UTC(2017, 11, 1));
    expect(st.finished_at).toBeGreaterThan(st.started_at);
    expect(st.finished_at).toBeLessThan(Date.UTC(2017, 11, 1));
    expect(st.elapsed_s).toBe((st.finished_at - st.started_at) / 1000);
    expect(st.eta_s).toBeNull();
    const analysis = (await api(s.url, `/runs/${run.id}/analysis`)).body;
    expect(analysis.summary.total_time_s).toBe(st.elapsed_s);

    await s.service.checkSilence(Date.now() + 24 * 60 * MIN);
    expect((await status(run.id)).status).toBe('completed');
    expect(await alerts(run.id)).toEqual(['run.finished']);
  });

  it('has no start, end or elapsed time when the file has none (a trainer_state.json), rather than the import time', async () => {
    const file = readFileSync(`${REAL_LOGS}/hf_whisper_small_hi_overfit/trainer_state.json`);
    const { run, answer } = await importFile('hf', 'trainer_state.json', file);
    expect(answer).toMatchObject({ status: 'completed', finished_at: null });
    const st = await status(run.id);
    expect(st).toMatchObject({ status: 'completed', timed: false, started_at: null, finished_at: null, elapsed_s: null, eta_s: null });
    expect((await api(s.url, `/runs/${run.id}/analysis`)).body.summary.total_time_s).toBeNull();
    // The same file again changes nothing: no second ending.
    const again = await api(s.url, `/runs/${run.id}/import?filename=trainer_state.json`, { method: 'POST', body: file });
    expect(again.body).toMatchObject({ accepted: 0, last_seq: answer.last_seq, status: 'completed' });
  });

  it('measures no epoch time between epoch lines that had no time of their own, and keeps the epoch times a trainer logged', async () => {
    const run = await newRun('untimed-epochs');
    const events = [1, 2, 3].flatMap((epoch) => [
      { type: 'epoch_started', epoch },
      { type: 'metrics', epoch, values: { loss: 1 / epoch } },
      { type: 'epoch_ended', epoch },
    ]);
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [...events, { type: 'run_finished', status: 'completed', timed: false }] });
    expect(await status(run.id)).toMatchObject({ avg_epoch_time_s: null, last_epoch_time_s: null, elapsed_s: null });
    expect((await api(s.url, `/runs/${run.id}/analysis`)).body.summary).toMatchObject({ total_time_s: null, avg_epoch_time_s: null });

    const logged = await newRun('logged-epochs');
    const withTimes = [1, 2].map((epoch) => ({ type: 'metrics', epoch, values: { loss: 1 / epoch, epoch_time: 30 * epoch } }));
    await api(s.url, `/runs/${logged.id}/events`, { method: 'POST', json: [...withTimes, { type: 'run_finished', status: 'completed', timed: false }] });
    expect(await status(logged.id)).toMatchObject({ avg_epoch_time_s: 45, last_epoch_time_s: 60, elapsed_s: null });
  });

  it('fails when the log shows a crash, with the reason, and takes its times from the log lines', async () => {
    const log = [
      '2024-05-01 10:00:00,000 INFO Epoch [1/10] started',
      '2024-05-01 10:05:00,000 INFO Train Loss: 0.9, Train Accuracy: 61.0%',
      '2024-05-01 10:06:00,000 INFO Validation Loss: 1.0',
      '2024-05-01 10:11:00,000 INFO Train Loss: 0.7, Train Accuracy: 70.0%',
      'Traceback (most recent call last):',
      '  File "train.py", line 88, in <module>',
      'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
    ].join('\n');
    const { run, answer } = await importFile('oom', 'train.log', log);
    expect(answer).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^torch\.cuda\.OutOfMemoryError: CUDA out of memory/) });
    const st = await status(run.id);
    expect(st).toMatchObject({ status: 'failed', started_at: Date.parse('2024-05-01T10:00:00'), finished_at: Date.parse('2024-05-01T10:11:00'), elapsed_s: 660 });
    expect(st.finish_reason).toMatch(/^torch\.cuda\.OutOfMemoryError/);
    expect(await alerts(run.id)).toEqual(['run.failed']);

    const killed = await importFile('killed', 'train.log', 'Train Loss: 0.9\nTrain Loss: 0.8\n./run.sh: line 3:  4242 Killed                  python train.py\n');
    expect(killed.answer).toMatchObject({ status: 'failed', reason: expect.stringMatching(/killed/) });
    // An exception logged and survived is not the end of the run.
    const survived = await importFile('survived', 'train.log', 'Train Loss: 0.9\nValueError: bad sample skipped\nTrain Loss: 0.8\n');
    expect(survived.answer.status).toBe('completed');
  });

  it('fails when the last loss is NaN', async () => {
    const lines = [1, 2, 3, 4].map((step) => JSON.stringify({ step, loss: step < 4 ? 1 / step : 'NaN', timestamp: 1_714_550_400 + step * 60 }));
    const { run, answer } = await importFile('nan', 'metrics.jsonl', lines.join('\n'));
    expect(answer).toMatchObject({ status: 'failed', reason: 'the last loss is NaN', finished_at: (1_714_550_400 + 240) * 1000 });
    expect((await status(run.id)).elapsed_s).toBe(180);
  });

  it('runs again when the file grows, and ends again at its new end', async () => {
    const line = (step: number) => JSON.stringify({ step, loss: 1 / step, ts: 1_714_550_400 + step });
    const run = await newRun('growing');
    const send = (n: number) => api(s.url, `/runs/${run.id}/import?filename=metrics.jsonl`, { method: 'POST', body: [1, 2, 3, 4, 5].slice(0, n).map(line).join('\n') });
    expect((await send(3)).body).toMatchObject({ status: 'completed', finished_at: (1_714_550_400 + 3) * 1000 });
    expect((await send(5)).body).toMatchObject({ accepted: 2, status: 'completed', finished_at: (1_714_550_400 + 5) * 1000 });
    // A trainer that carries on live: running again, with no end, and its time still counting.
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 6, values: { loss: 1 / 6 } }] });
    const st = await status(run.id);
    expect(st).toMatchObject({ status: 'running', finished_at: null });
    expect(st.elapsed_s).toBeGreaterThan(5);
  });
});

describe('a run fed live', () => {
  it('becomes stalled, then lost, when its trainer goes silent, is listed so, and runs again when data arrives', async () => {
    const run = await newRun('crashed-trainer');
    const post = (epoch: number) => api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', epoch, values: { loss: 1 / epoch } }] });
    await post(1);
    const last = (await status(run.id)).last_event_at;
    await s.service.checkSilence(last + 14 * MIN);
    expect((await status(run.id)).status).toBe('running');
    await s.service.checkSilence(last + 16 * MIN);
    expect((await status(run.id)).status).toBe('stalled');
    await s.service.checkSilence(last + 20 * MIN);
    expect(await alerts(run.id)).toEqual(['run.stalled']);
    expect((await api(s.url, '/runs?status=stalled')).body.runs.map((r: any) => r.id)).toContain(run.id);

    await s.service.checkSilence(last + 61 * MIN);
    const lost = await status(run.id);
    expect(lost).toMatchObject({ status: 'lost', eta_s: null });
    // Its clock stopped with its trainer.
    expect(lost.elapsed_s).toBe((lost.last_event_at - lost.started_at) / 1000);
    expect((await api(s.url, '/runs?status=lost')).body.runs.map((r: any) => r.id)).toContain(run.id);
    expect(await alerts(run.id)).toEqual(['run.stalled']);

    await post(2);
    expect((await status(run.id)).status).toBe('running');
    // A new silence is a new stall.
    await s.service.checkSilence(Date.now() + 16 * MIN);
    expect(await alerts(run.id)).toEqual(['run.stalled', 'run.stalled']);
  });

  it('is checked on the server\'s own timer: a trainer that just stops ends lost, not running forever', async () => {
    const quick = await testServer({ ANALYST_STALL_SECONDS: '0.2', ANALYST_LOST_SECONDS: '0.4' });
    try {
      const run = (await api(quick.url, '/runs', { method: 'POST', json: { name: 'died', project: 'lifecycle' } })).body;
      await api(quick.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 } }] });
      await until(async () => (await api(quick.url, `/runs/${run.id}`)).body.status === 'lost' || undefined);
      const types = ((await api(quick.url, `/alerts?run=${run.id}&after=0`)).body.alerts as any[]).map((a) => a.type);
      expect(types).toEqual(['run.stalled']);
    } finally {
      await quick.stop();
    }
  }, 30_000);
});
