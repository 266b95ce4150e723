// A PostgreSQL server out of reach, or a connection lost mid-batch: the request is told why, nothing of it is written.
import { afterEach, describe, expect, it } from 'vitest';
import { storageUnavailable } from '../../src/store/faults.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { NewEvent } from '../../src/store/store.ts';
import { openTestStore, postgresUnavailable, type TestStore } from '../helpers/test-db.ts';

const pgDown = await postgresUnavailable();

const opened: TestStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.cleanup()));
});

const batch = (n: number): NewEvent[] => Array.from({ length: n }, (_, k) => ({ body: { type: 'metrics', step: k, values: { loss: 1 / (k + 1) } }, ts: 1000 + k }) as NewEvent);

describe('PostgreSQL faults', () => {
  it('answers a server out of reach as the database being unavailable', async () => {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    const err = await openPostgresStore('postgres://postgres@127.0.0.1:1/test').catch((e: unknown) => e);
    expect(storageUnavailable(err)?.message).toMatch(/^the database server cannot be reached \(ECONNREFUSED\); nothing of this request was written/);
  });

  it.skipIf(pgDown !== undefined)(`writes nothing of a batch whose connection is killed before it commits, and goes on${pgDown ? ` (skipped: ${pgDown})` : ''}`, async () => {
    const t = await openTestStore('postgres');
    opened.push(t);
    const store = t.store as PostgresStore;
    const other = (await t.replica!()) as PostgresStore;
    const run = await store.createRun({ name: 'killed', project: 'p', config: {}, meta: {}, tags: {} }, 0);
    const err = await store
      .transaction(async () => {
        await store.appendEvents(run.id, batch(100), 1);
        const { rows } = await store.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await other.db.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await store.db.query('SELECT 1');
      })
      .catch((e: unknown) => e);
    expect(storageUnavailable(err)?.message, String(err)).toMatch(/^the database server cannot be reached/);
    expect(await store.eventsAfter(run.id, 0, 1000)).toEqual([]);
    expect((await store.getRun(run.id))!.last_seq).toBe(0);
    expect(await store.metricNames(run.id)).toEqual([]);
    expect((await store.appendEvents(run.id, batch(3), 2)).stored.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});
