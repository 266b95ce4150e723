import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunListQuery } from '../../src/domain/runs.ts';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const create = (json: Record<string, unknown>, headers: Record<string, string> = {}) => api(s.url, '/runs', { method: 'POST', json, headers });

/** The README example: create a run, then send epochs with event ids e1, e2, ... */
async function readmeExample(project: string, loss: number) {
  const run = (await create({ name: 'resnet-lr0.1', project, config: { lr: 0.1 }, total_epochs: 3 })).body;
  const answers = [];
  for (let epoch = 1; epoch <= 3; epoch++) {
    const r = await api(s.url, `/runs/${run.id}/events`, {
      method: 'POST',
      json: { events: [{ type: 'metrics', epoch, step: epoch * 390, values: { loss: loss / epoch }, event_id: `e${epoch}` }, { type: 'epoch_ended', epoch }] },
    });
    answers.push(r.body);
  }
  return { run, answers };
}

describe('run identity', () => {
  it('runs the README example twice as two runs, each keeping its own numbers', async () => {
    const first = await readmeExample('twice', 2);
    const second = await readmeExample('twice', 4);
    expect(second.run.id).not.toBe(first.run.id);
    expect(second.run.created).toBe(true);
    // Event ids are scoped to their run: the second run's e1 is not a duplicate of the first's.
    for (const a of second.answers) expect(a).toMatchObject({ accepted: 2, duplicates: 0 });
    const losses = async (id: string) => (await api(s.url, `/runs/${id}/metrics?names=loss`)).body.series[0].points.map((p: any) => p.value);
    expect(await losses(first.run.id)).toEqual([2, 1, 2 / 3]);
    expect(await losses(second.run.id)).toEqual([4, 2, 4 / 3]);
    const listed = (await api(s.url, '/runs?project=twice')).body;
    expect(listed.total).toBe(2);
    expect(listed.runs.map((r: any) => r.id)).toEqual([second.run.id, first.run.id]);
  });

  it('resolves project/name and a bare name to the newest run with that name', async () => {
    const older = (await create({ name: 'same', project: 'newest' })).body;
    const newer = (await create({ name: 'same', project: 'newest' })).body;
    expect(newer.id).not.toBe(older.id);
    for (const ref of ['newest/same', 'same']) {
      const got = await api(s.url, `/runs/${encodeURIComponent(ref)}`);
      expect(got.status).toBe(200);
      expect(got.body.id).toBe(newer.id);
    }
    // The older run stays reachable by its id.
    expect((await api(s.url, `/runs/${older.id}`)).body.id).toBe(older.id);
  });

  it('takes project/name where alerts are filtered by run', async () => {
    await create({ name: 'alerting', project: 'al' });
    const run = (await create({ name: 'alerting', project: 'al' })).body;
    const events = Array.from({ length: 12 }, (_, i) => ({ type: 'metrics', step: i, values: { loss: i < 10 ? 1 / (i + 1) : 'NaN' } }));
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events });
    const alerts = (await api(s.url, `/alerts?run=${encodeURIComponent('al/alerting')}`)).body.alerts;
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a: any) => a.run.id === run.id)).toBe(true);
    expect((await api(s.url, '/alerts?run=al%2Fnobody')).status).toBe(404);
  });

  it('returns the same run for a retried create with the same Idempotency-Key, and refuses the key with another body', async () => {
    const body = { name: 'retried', project: 'idem', config: { lr: 0.1, batch: 32 } };
    const a = await create(body, { 'idempotency-key': 'k-123' });
    // The same body with its keys in another order is the same request.
    const b = await create({ project: 'idem', config: { batch: 32, lr: 0.1 }, name: 'retried' }, { 'idempotency-key': 'k-123' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ id: a.body.id, created: false, resumed: false });
    const other = await create({ ...body, config: { lr: 0.5 } }, { 'idempotency-key': 'k-123' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect(other.body.error.message).toContain(a.body.id);
    // Without the key the same body is a new run.
    expect((await create(body)).body.id).not.toBe(a.body.id);
    const tooLong = await create(body, { 'idempotency-key': 'x'.repeat(300) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.issues[0].path).toBe('Idempotency-Key');
  });

  it('treats a client-chosen run id as the idempotency key of its create', async () => {
    const a = await create({ id: 'run-2024-a1', name: 'mine', project: 'idem' });
    const again = await create({ id: 'run-2024-a1', name: 'mine', project: 'idem' });
    expect(a.status).toBe(201);
    expect(a.body.id).toBe('run-2024-a1');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe('run-2024-a1');
    const changed = await create({ id: 'run-2024-a1', name: 'not-mine', project: 'idem' });
    expect(changed.status).toBe(422);
    const bad = await create({ id: 'has/slash', name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('id');
    // An id the server chose is not a key a client can claim.
    const server = (await create({ name: 'server-id' })).body;
    const taken = await create({ id: server.id, name: 'server-id' });
    expect(taken.status).toBe(409);
  });

  it('resumes a run by id, or the newest by project and name, and creates when there is none to resume', async () => {
    const run = (await create({ name: 'resumable', project: 'res' })).body;
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 }, event_id: 'e1' }] });
    const byId = await create({ resume: run.id });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id: run.id, created: false, resumed: true, name: 'resumable' });
    const byName = await create({ name: 'resumable', project: 'res', resume: true });
    expect(byName.body).toMatchObject({ id: run.id, resumed: true });
    // A resumed run's retried batch is still recognised: e1 was stored before.
    const retry = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, values: { loss: 1 }, event_id: 'e1' }] });
    expect(retry.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const fresh = await create({ name: 'never-before', project: 'res', resume: true });
    expect(fresh.status).toBe(201);
    expect(fresh.body).toMatchObject({ created: true, resumed: false });
    const missing = await create({ resume: 'no-such-run' });
    expect(missing.status).toBe(404);
    const wrongName = await create({ resume: run.id, name: 'other' });
    expect(wrongName.status).toBe(400);
    expect(wrongName.body.error.issues[0].path).toBe('name');
    const noName = await create({ project: 'res' });
    expect(noName.status).toBe(400);
    expect(noName.body.error.issues[0].path).toBe('name');
    const unknown = await create({ name: 'x', resum: true });
    expect(unknown.status).toBe(400);
  });
});

describe('lineage with names that repeat', () => {
  it('gives a stage named by project/name to the newest run with that name, and one named by id to that run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-lineage-'));
    const store = new SqliteStore(join(dir, 'a.db'));
    try {
      const make = (name: string, now: number, parent_run?: string) => store.createRun({ name, project: 'llm', config: {}, meta: {}, tags: {}, parent_run }, now);
      const older = await make('pretrain', 1);
      const newer = await make('pretrain', 2);
      const byName = await make('finetune', 3, 'llm/pretrain');
      const byId = await make('finetune-old-base', 4, older.id);
      expect((await store.childRuns(newer)).map((r) => r.id)).toEqual([byName.id]);
      expect((await store.childRuns(older)).map((r) => r.id)).toEqual([byId.id]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a database from before run identity', () => {
  it('keeps its runs and events, and takes a second run with a name it already has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-migrate-'));
    const file = join(dir, 'old.db');
    try {
      const old = new Database(file);
      migrate(old, 2);
      old
        .prepare(`INSERT INTO runs (id, project, name, status, created_at, updated_at, last_seq) VALUES (?, 'p', ?, 'completed', ?, ?, 1)`)
        .run('old1', 'resnet', 1000, 1000);
      old.prepare(`INSERT INTO runs (id, project, name, status, created_at, updated_at, last_seq) VALUES (?, 'p', ?, 'running', ?, ?, 0)`).run('old2', 'vit', 1000, 1000);
      old.prepare(`INSERT INTO events (run, seq, ts, type, event_id, body) VALUES ('old1', 1, 1000, 'metrics', 'e1', '{"type":"metrics","values":{"loss":1}}')`).run();
      old.close();
      const store = new SqliteStore(file);
      try {
        expect(await store.getRun('old1')).toMatchObject({ name: 'resnet', status: 'completed', last_seq: 1, note: null, archived_at: null });
        const replayed = [];
        for await (const e of store.replay('old1')) replayed.push(e);
        expect(replayed).toHaveLength(1);
        // Created in the same millisecond, old2 after old1: insertion order decides, and the copy kept it.
        expect((await store.listRuns(RunListQuery.parse({ project: 'p' }))).runs.map((r) => r.id)).toEqual(['old2', 'old1']);
        const again = await store.createRun({ name: 'resnet', project: 'p', config: {}, meta: {}, tags: {} }, 2000);
        expect((await store.runsNamed('p/resnet')).map((r) => r.id)).toEqual([again.id, 'old1']);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
