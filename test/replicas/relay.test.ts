// Streams on one replica hear what another commits, and catch up after their LISTEN connection drops.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events.ts';
import { CreateRunBody } from '../../src/domain/runs.ts';
import { AnalystService } from '../../src/service/service.ts';
import { createTelemetry } from '../../src/service/telemetry.ts';
import { commitChannel } from '../../src/store/postgres/commit-feed.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openTestStore, postgresUnavailable, TEST_PG_URL, type TestStore } from '../helpers/test-db.ts';

const unavailable = await postgresUnavailable();

const serviceOn = (store: PostgresStore) => new AnalystService({ store, telemetry: createTelemetry(), limits: { window: 64, maxMetrics: 64, recentEvents: 8 }, maxActiveRuns: 10 });

/** Resolves once `count` events were published on the service's bus, with them in the order heard. */
function heard(service: AnalystService, count: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  return new Promise((resolve) => {
    const off = service.bus.subscribe('*', (e) => {
      events.push(e);
      if (events.length === count) {
        off();
        resolve(events);
      }
    });
  });
}

const metrics = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'metrics' as const, step: from + i, values: { loss: 1 / (from + i + 1) } }));

describe.skipIf(unavailable)(`streams across replicas${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let db: TestStore;
  let a: AnalystService;
  let b: AnalystService;
  beforeEach(async () => {
    db = await openTestStore('postgres');
    a = serviceOn(db.store as PostgresStore);
    b = serviceOn((await db.replica!()) as PostgresStore);
    await b.followReplicas();
  });
  afterEach(async () => {
    await b.unfollow();
    await db.cleanup();
  });

  it("publishes another replica's commits in order, and those committed while its LISTEN connection was down once it is back", async () => {
    const { run } = await a.createRun(CreateRunBody.parse({ name: 'relayed', project: 'replicas' }));
    const first = heard(b, 10);
    await a.ingest(run.id, metrics(0, 10));
    expect((await first).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));

    // The listener's connection is cut by the server; what is committed meanwhile is announced to nobody.
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${commitChannel((db.store as PostgresStore).writeLock)}"`]);
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    const rest = heard(b, 20);
    await a.ingest(run.id, metrics(10, 10));
    await a.ingest(run.id, metrics(20, 10));
    const events = await rest;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(events.map((e) => e.gid)).toEqual([...events.map((e) => e.gid)].sort((x, y) => x - y));
  });
});
