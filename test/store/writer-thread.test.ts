// SQLite's writer thread (src/store/sqlite/writer.ts): a group commit's batches are planned on the
// service's thread and written on the writer's own connection; a group that must write anything
// else is written on the service's thread, the batches planned before included.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../../src/domain/events.ts';
import { AppendWriter } from '../../src/store/sqlite/writer.ts';
import { openReader } from '../helpers/test-db.ts';
import { testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer({}, 'sqlite');
});
afterAll(async () => s.stop());

const metrics = (from: number, n: number, loss = (i: number) => 1 / (i + 1)) =>
  Array.from({ length: n }, (_, k) => ({ type: 'metrics' as const, step: from + k, values: { loss: loss(from + k), lr: 0.1 } }));

describe('the writer thread', () => {
  it('stores every batch of concurrent runs once, publishes each after its commit with the gid it was stored under, in the order stored', async () => {
    const runs = await Promise.all(Array.from({ length: 12 }, async (_, i) => (await s.service.createRun({ name: `w${i}`, project: 'writer', config: {}, meta: {}, tags: {} })).run.id));
    const published: StoredEvent[] = [];
    const unsubscribe = s.service.bus.subscribe('*', (e) => published.push(e));
    const written = vi.spyOn(AppendWriter.prototype, 'write');
    // Three batches per run, sent at once: a run's batches go in one group after another, in order.
    // One run's loss turns NaN: its finding is written on the service's thread, with its group.
    const acks = await Promise.all(
      runs.flatMap((run, r) => [0, 1, 2].map((k) => s.service.ingestGrouped(run, metrics(k * 10, 10, r === 5 && k === 1 ? () => NaN : undefined)))),
    );
    unsubscribe();
    expect(written).toHaveBeenCalled();
    written.mockRestore();
    expect(acks.map((a) => a.accepted)).toEqual(acks.map(() => 10));
    for (const [r, run] of runs.entries()) {
      const mine = acks.slice(3 * r, 3 * r + 3).map((a) => a.last_seq);
      // The NaN run's second batch is followed by its finding's event.
      expect(mine).toEqual(r === 5 ? [10, 21, 31] : [10, 20, 30]);
      expect((await s.service.findings(run)).map((f) => f.kind)).toEqual(r === 5 ? ['nan_loss'] : []);
    }
    const reader = await openReader(s.db);
    const stored = await reader.query<{ gid: number; run: string; seq: number }>(
      `SELECT gid, run, seq FROM events WHERE run IN (${runs.map(() => '?').join(', ')}) ORDER BY gid`,
      runs,
    );
    const samples = await reader.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM samples WHERE series IN (SELECT id FROM series WHERE run IN (${runs.map(() => '?').join(', ')}))`,
      runs,
    );
    await reader.close();
    expect(stored).toHaveLength(12 * 30 + 1);
    expect(samples[0].n).toBe(12 * 30 * 2);
    // Streams heard every stored event once, under the gid it is stored with, in the order of the gids.
    expect(published.map((e) => [e.gid, e.run, e.seq])).toEqual(stored.map((e) => [e.gid, e.run, e.seq]));
  });

  it('fails a group whole when the writer cannot commit it, and stores the same batches once when sent again', async () => {
    const run = (await s.service.createRun({ name: 'refused', project: 'writer', config: {}, meta: {}, tags: {} })).run.id;
    const failing = vi.spyOn(AppendWriter.prototype, 'write').mockRejectedValueOnce(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
    const batch = metrics(0, 5).map((e, i) => ({ ...e, event_id: `k${i}` }));
    // The doors answer it 503 with its reason (test/faults/storage.test.ts).
    await expect(s.service.ingestGrouped(run, batch)).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    failing.mockRestore();
    expect((await s.service.run(run)).last_seq).toBe(0);
    expect(await s.service.ingestGrouped(run, batch)).toMatchObject({ accepted: 5, duplicates: 0, last_seq: 5 });
    expect(await s.service.ingestGrouped(run, batch)).toMatchObject({ accepted: 0, duplicates: 5, last_seq: 5 });
  });
});
