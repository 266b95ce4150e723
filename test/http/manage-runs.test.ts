import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { runRows } from '../helpers/test-db.ts';
import { SseClient, until } from '../streams/clients.ts';

let s: TestServer;
let receiver: Server;
let receiverUrl = '';
beforeAll(async () => {
  // A webhook receiver that is always failing, so the run's deliveries stay pending.
  receiver = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  s = await testServer({ ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' });
});
afterAll(async () => {
  await s.stop();
  receiver.close();
});

const create = async (name: string, project = 'manage') => (await api(s.url, '/runs', { method: 'POST', json: { name, project } })).body;
const patch = (ref: string, json: unknown) => api(s.url, `/runs/${encodeURIComponent(ref)}`, { method: 'PATCH', json });
const list = async (query: string) => (await api(s.url, `/runs?${query}`)).body.runs.map((r: any) => r.name);

const rowsFor = (runId: string) => runRows(s.db, runId);

describe('managing runs', () => {
  it('renames, notes, tags and archives a run without touching its last-event time', async () => {
    const run = await create('tidy');
    const renamed = await patch(run.id, { name: 'tidy-v2', note: 'baseline for the sweep', add_tags: ['baseline', 'sweep'] });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: run.id, name: 'tidy-v2', note: 'baseline for the sweep', tags: { baseline: '', sweep: '' }, updated_at: run.updated_at });
    const tagged = await patch(run.id, { add_tags: { team: 'vision' }, remove_tags: ['sweep'] });
    expect(tagged.body.tags).toEqual({ baseline: '', team: 'vision' });
    const archived = await patch(run.id, { archived: true, note: '' });
    expect(archived.body.archived_at).toBeTypeOf('number');
    expect(archived.body.note).toBeNull();
    const back = await patch(run.id, { archived: false });
    expect(back.body.archived_at).toBeNull();
  });

  it('refuses changes it cannot make with 400 and the path, and changes nothing', async () => {
    const run = await create('strict');
    for (const [body, path] of [
      [{ nme: 'typo' }, '(root)'],
      [{ name: '' }, 'name'],
      [{ archived: 'yes' }, 'archived'],
      [{ add_tags: ['a,b'] }, 'add_tags.0'],
      [{}, '(root)'],
    ] as const) {
      const r = await patch(run.id, body);
      expect(r.status).toBe(400);
      expect(r.body.error.issues[0].path).toBe(path);
    }
    expect((await api(s.url, `/runs/${run.id}`)).body.name).toBe('strict');
    expect((await patch('no-such-run', { name: 'x' })).status).toBe(404);
  });

  it('lists by tag and hides archived runs unless asked', async () => {
    const a = await create('list-a', 'listing');
    const b = await create('list-b', 'listing');
    const c = await create('list-c', 'listing');
    await patch(a.id, { add_tags: { baseline: '', team: 'vision' } });
    await patch(b.id, { add_tags: { team: 'nlp' } });
    await patch(c.id, { add_tags: ['baseline'], archived: true });
    expect(await list('project=listing')).toEqual(['list-b', 'list-a']);
    expect(await list('project=listing&archived=1')).toEqual(['list-c', 'list-b', 'list-a']);
    expect(await list('project=listing&archived=only')).toEqual(['list-c']);
    expect(await list('project=listing&tag=baseline')).toEqual(['list-a']);
    expect(await list('project=listing&tag=baseline&archived=true')).toEqual(['list-c', 'list-a']);
    expect(await list('project=listing&tag=team=nlp')).toEqual(['list-b']);
    expect(await list('project=listing&tag=team,baseline')).toEqual(['list-a']);
    expect((await api(s.url, '/runs?archived=maybe')).body.error.issues[0].path).toBe('archived');
  });

  it('deletes a run with everything kept for it in one go, and leaves other runs alone', async () => {
    await api(s.url, '/webhooks', { method: 'POST', json: { url: receiverUrl, min_severity: 'warning' } });
    const keep = await create('keep');
    const doomed = await create('doomed');
    for (const run of [keep, doomed]) {
      const events = Array.from({ length: 12 }, (_, i) => ({ type: 'metrics', step: i, event_id: `e${i}`, values: { loss: i < 10 ? 1 / (i + 1) : 'NaN' } }));
      await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events });
      await api(s.url, `/runs/${run.id}/logs`, { method: 'POST', body: 'epoch 1 loss=0.5\n', headers: { 'content-type': 'text/plain' } });
      await api(s.url, `/runs/${run.id}/control`, { method: 'POST', json: { action: 'pause' } });
    }
    const before = await rowsFor(doomed.id);
    for (const table of ['runs', 'events', 'series', 'samples', 'findings', 'read_reports', 'control_requests', 'alerts', 'webhook_deliveries']) expect(before[table], table).toBeGreaterThan(0);
    const keptBefore = await rowsFor(keep.id);

    const r = await api(s.url, `/runs/${doomed.id}`, { method: 'DELETE' });
    expect(r.status).toBe(200);
    expect(r.body.deleted).toMatchObject({ id: doomed.id, name: 'doomed', project: 'manage' });
    expect(r.body.removed.events).toBe(before.events);
    expect(r.body.removed.samples).toBe(before.samples);
    expect(await rowsFor(doomed.id)).toEqual({});
    expect(await rowsFor(keep.id)).toEqual(keptBefore);
    const gone = await api(s.url, `/runs/${doomed.id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('gone');
    expect((await api(s.url, `/runs/${doomed.id}`, { method: 'DELETE' })).status).toBe(410);
    expect((await api(s.url, '/analyze', { method: 'POST', json: { run: doomed.id, kind: 'analysis' } })).status).toBe(410);
    expect((await api(s.url, `/runs/compare?a=${keep.id}&b=${doomed.id}`)).status).toBe(410);
  });

  it('ends the live stream of a deleted run and refuses its later batches with 410', async () => {
    const run = await create('live-delete');
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 } }] });
    const stream = await SseClient.open(`${s.url}/runs/${run.id}/stream`);
    await until(() => stream.messages.some((m) => m.event === 'metrics'));
    await api(s.url, `/runs/${run.id}`, { method: 'DELETE' });
    await stream.ended;
    const last = stream.messages[stream.messages.length - 1];
    expect(last.event).toBe('deleted');
    expect(JSON.parse(last.data)).toMatchObject({ run: run.id });
    const late = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 2, values: { loss: 0.5 } }] });
    expect(late.status).toBe(410);
    expect(late.body.error.message).toContain('deleted');
    const reconnect = await fetch(`${s.url}/runs/${run.id}/stream`);
    expect(reconnect.status).toBe(410);
    await reconnect.body?.cancel();
    // Its id is not taken again by a create that names it.
    expect((await api(s.url, '/runs', { method: 'POST', json: { id: run.id, name: 'x' } })).status).toBe(410);
  });

  it('asks which run is meant when a name to delete matches several, listing them', async () => {
    const older = await create('twin', 'ambiguous');
    const newer = await create('twin', 'ambiguous');
    const r = await api(s.url, `/runs/${encodeURIComponent('ambiguous/twin')}`, { method: 'DELETE' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('ambiguous_run');
    expect(r.body.error.candidates.map((c: any) => c.id)).toEqual([newer.id, older.id]);
    expect(r.body.error.candidates[0]).toMatchObject({ status: 'running', created_at: newer.created_at, archived: false });
    expect((await api(s.url, '/runs?project=ambiguous')).body.total).toBe(2);
    expect((await api(s.url, `/runs/${older.id}`, { method: 'DELETE' })).status).toBe(200);
    // Now the name is one run's: deleting by name is exact.
    expect((await api(s.url, `/runs/${encodeURIComponent('ambiguous/twin')}`, { method: 'DELETE' })).body.deleted.id).toBe(newer.id);
  });
});
