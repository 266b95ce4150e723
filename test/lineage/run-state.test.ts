// Run metadata, seed 4's UI state, events by type and the checkpoint list, through the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

describe('run metadata, state, events by type and checkpoints', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const create = async (json: object) => (await api(s.url, '/runs', { method: 'POST', json })).body;
  const send = (id: string, events: object[]) => api(s.url, `/runs/${id}/events`, { method: 'POST', json: { events } });

  it('keeps the documented meta keys, checks their types, keeps unknown keys, and shows the reproducibility facts', async () => {
    const meta = { git_commit: 'a1b2c3d', git_dirty: true, python: '3.11.4', torch: '2.3.1', cuda: '12.1', host: 'gpu-07', gpu: 'NVIDIA A100-SXM4-40GB', gpu_count: 8, team_note: { any: ['shape'] } };
    const run = await create({ name: 'meta-run', project: 'meta', meta });
    expect(run.meta).toEqual(meta);
    const status = (await api(s.url, `/runs/${run.id}`)).body;
    expect(status.reproducibility).toEqual({ git_commit: 'a1b2c3d', git_dirty: true, python: '3.11.4', framework: 'torch', framework_version: '2.3.1', cuda: '12.1', host: 'gpu-07', gpu: 'NVIDIA A100-SXM4-40GB' });

    // run_started.meta merges, and an explicit framework wins over the detected one.
    await send(run.id, [{ type: 'run_started', meta: { framework: 'jax', framework_version: 0.4, python: 3.12 } }]);
    const after = (await api(s.url, `/runs/${run.id}`)).body;
    expect(after.reproducibility).toMatchObject({ framework: 'jax', framework_version: '0.4', python: '3.12', git_commit: 'a1b2c3d' });
    expect(after.meta.team_note).toEqual({ any: ['shape'] });

    const bad = await create({ name: 'bad-meta', meta: { git_dirty: 'yes', gpu_count: -1 } });
    expect(bad.error.code).toBe('invalid_body');
    expect(bad.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['meta.git_dirty', 'meta.gpu_count']);
    const badEvent = await send(run.id, [{ type: 'run_started', meta: { git_dirty: 1 } }]);
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.error.issues[0].path).toBe('events.0.meta.git_dirty');

    const exported = (await api(s.url, `/runs/${run.id}/export`)).body;
    expect(exported.run.meta).toMatchObject({ git_commit: 'a1b2c3d', host: 'gpu-07', framework: 'jax' });
  });

  it('answers the UI state: epoch of total, batch, loss, learning rate, is-training', async () => {
    const run = await create({ name: 'state-run', project: 'meta', total_epochs: 10 });
    await send(run.id, [
      { type: 'epoch_started', epoch: 2 },
      { type: 'metrics', step: 120, epoch: 2, values: { loss: 0.75, learning_rate: 0.01 } },
      { type: 'metrics', step: 130, epoch: 2, values: { loss: 0.7, learning_rate: 0.005 } },
    ]);
    const status = (await api(s.url, `/runs/${run.id}`)).body;
    expect(status.state).toEqual({ epoch: 2, total_epochs: 10, batch: 130, loss: 0.7, lr: 0.005, is_training: true });
    await send(run.id, [{ type: 'run_finished', status: 'completed' }]);
    expect((await api(s.url, `/runs/${run.id}`)).body.state.is_training).toBe(false);
  });

  it('reads recent history by event type, newest last, and pages forward after a seq', async () => {
    const run = await create({ name: 'types-run', project: 'meta' });
    const events: object[] = [];
    for (let epoch = 1; epoch <= 6; epoch++) events.push({ type: 'epoch_started', epoch }, { type: 'metrics', step: epoch * 10, values: { loss: 1 / epoch } }, { type: 'epoch_ended', epoch });
    await send(run.id, events);
    const recent = (await api(s.url, `/runs/${run.id}/events?type=epoch_ended&limit=3`)).body;
    expect(recent.events.map((e: { type: string; epoch: number }) => [e.type, e.epoch])).toEqual([['epoch_ended', 4], ['epoch_ended', 5], ['epoch_ended', 6]]);
    const two = (await api(s.url, `/runs/${run.id}/events?type=epoch_started,epoch_ended&limit=2`)).body.events;
    expect(two.map((e: { type: string; epoch: number }) => [e.type, e.epoch])).toEqual([['epoch_started', 6], ['epoch_ended', 6]]);
    const forward = (await api(s.url, `/runs/${run.id}/events?type=epoch_ended&after_seq=${recent.events[0].seq}&limit=1`)).body;
    expect(forward.events.map((e: { epoch: number }) => e.epoch)).toEqual([5]);
    expect(forward.last_seq).toBe(forward.events[0].seq);
    expect((await api(s.url, `/runs/${run.id}/events?type=checkpoint_saved`)).body).toEqual({ events: [], last_seq: 0 });
  });

  it('lists checkpoints with the metric at each and marks the best', async () => {
    const run = await create({ name: 'ckpt-run', project: 'meta' });
    await send(run.id, [
      { type: 'metrics', step: 100, epoch: 1, values: { val_loss: 0.9, loss: 1.0 } },
      { type: 'checkpoint_saved', path: 'ckpt/e1.pt', step: 100, epoch: 1 },
      { type: 'metrics', step: 200, epoch: 2, values: { val_loss: 0.6, loss: 0.7 } },
      { type: 'checkpoint_saved', path: 'ckpt/e2.pt', step: 200, epoch: 2 },
      { type: 'metrics', step: 300, epoch: 3, values: { val_loss: 0.8, loss: 0.5 } },
      { type: 'checkpoint_saved', path: 'ckpt/e3.pt', step: 300, epoch: 3 },
      { type: 'checkpoint_loaded', path: 'ckpt/e2.pt', step: 200, epoch: 2 },
    ]);
    const list = (await api(s.url, `/runs/${run.id}/checkpoints`)).body;
    expect(list.checkpoints.map((c: { path: string; action: string; value: number; best: boolean }) => [c.path, c.action, c.value, c.best])).toEqual([
      ['ckpt/e1.pt', 'saved', 0.9, false],
      ['ckpt/e2.pt', 'saved', 0.6, true],
      ['ckpt/e3.pt', 'saved', 0.8, false],
      ['ckpt/e2.pt', 'loaded', 0.6, false],
    ]);
    expect(list.checkpoints[0]).toMatchObject({ metric: 'val_loss', value_from: 'series', step: 100, epoch: 1 });
    expect(list.best.path).toBe('ckpt/e2.pt');

    // A metric sent with the checkpoint is the one it is judged by: here higher is better.
    const acc = await create({ name: 'ckpt-acc', project: 'meta' });
    await send(acc.id, [
      { type: 'checkpoint_saved', path: 'a.pt', step: 1, metric: 'val_accuracy', value: 0.71 },
      { type: 'checkpoint_saved', path: 'b.pt', step: 2, metric: 'val_accuracy', value: 0.83 },
      { type: 'checkpoint_saved', path: 'c.pt', step: 3, metric: 'val_accuracy', value: 'NaN' },
    ]);
    const accList = (await api(s.url, `/runs/${acc.id}/checkpoints`)).body;
    expect(accList.best).toMatchObject({ path: 'b.pt', value_from: 'checkpoint' });
    expect(accList.checkpoints.filter((c: { best: boolean }) => c.best)).toHaveLength(1);
    expect((await api(s.url, `/runs/no-such-run/checkpoints`)).status).toBe(404);
  });
});
