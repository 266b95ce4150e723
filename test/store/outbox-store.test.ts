// The alert stream and webhook outbox, the same on both engines; on PostgreSQL, claimed by one
// replica at a time under a lease.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/webhooks.ts';
import type { NewAlert, OutboxStore } from '../../src/store/outbox.ts';
import type { PgDatabase } from '../../src/store/postgres/pool.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { OpenEngine } from '../helpers/module-engines.ts';
import { ENGINES, PG_DOWN, openEngine, titled } from '../helpers/module-engines.ts';

function alert(id: string, over: Partial<NewAlert> = {}): NewAlert {
  return {
    id,
    type: 'finding.raised',
    created_at: 1_000,
    severity: 'warning',
    previous_severity: null,
    message: `alert ${id}`,
    run: { id: 'run-a', name: 'a', project: 'p', url: 'http://localhost/runs/run-a' },
    finding: null,
    detail: { status: 'running' },
    analysis: null,
    ...over,
  };
}

/** How long a claim lasts in these tests. */
const LEASE = 20_000;

async function delivery(outbox: OutboxStore, id: string, at: number, webhook = 'wh1'): Promise<Alert> {
  const stored = await outbox.insertAlert(alert(`alert-${id}`, { created_at: at }));
  await outbox.insertDelivery(id, webhook, stored, at);
  return stored;
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

/** Resolves once a session waits for its turn to store an alert, or `stop` says it is no longer asked. */
async function waitingForTurn(db: PgDatabase, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const { rows } = await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%INSERT INTO alerts%'`,
    );
    if (rows.length) return;
  }
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== undefined)(titled(`outbox on ${engine.name}`, engine.skip), () => {
    let open: OpenEngine;
    let outbox: OutboxStore;
    beforeEach(async () => {
      open = await openEngine(engine.name);
      outbox = open.store.outbox;
    });
    afterEach(() => open.close());

    it('numbers alerts in the order stored and keeps their body and analysis', async () => {
      const first = await outbox.insertAlert(alert('a1', { finding: null, detail: { last_event_at: 5 } }));
      const second = await outbox.insertAlert(alert('a2'));
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(await outbox.getAlert('a1')).toEqual(first);
      await outbox.setAnalysis('a1', 'the learning rate is too high');
      expect((await outbox.getAlert('a1'))?.analysis).toBe('the learning rate is too high');
      expect(await outbox.getAlert('missing')).toBeUndefined();
    });

    it('lists alerts after a position, since a time, of a run and from a severity, never test alerts', async () => {
      const a1 = await outbox.insertAlert(alert('a1', { severity: 'info', created_at: 100 }));
      await outbox.insertAlert(alert('a2', { severity: 'critical', created_at: 200, run: { ...alert('x').run, id: 'run-b' } }));
      await outbox.insertAlert(alert('a3', { severity: 'warning', created_at: 300 }));
      await outbox.insertAlert(alert('t', { type: 'webhook.test', created_at: 400 }));
      expect(ids(await outbox.listAlerts({ limit: 10 }))).toEqual(['a1', 'a2', 'a3']);
      expect(ids(await outbox.listAlerts({ after: a1.seq, limit: 10 }))).toEqual(['a2', 'a3']);
      expect(ids(await outbox.listAlerts({ since: 200, limit: 10 }))).toEqual(['a2', 'a3']);
      expect(ids(await outbox.listAlerts({ run: 'run-a', limit: 10 }))).toEqual(['a1', 'a3']);
      expect(ids(await outbox.listAlerts({ minSeverity: 'warning', limit: 10 }))).toEqual(['a2', 'a3']);
      expect(ids(await outbox.listAlerts({ limit: 2 }))).toEqual(['a1', 'a2']);
    });

    it('hands out due deliveries oldest first, leaving out those in flight and those not yet due', async () => {
      await delivery(outbox, 'd3', 300);
      await delivery(outbox, 'd1', 100);
      await delivery(outbox, 'd2', 200);
      expect(await outbox.nextDueAt([])).toBe(100);
      expect(ids(await outbox.due(250, 10, ['d2'], 250 + LEASE))).toEqual(['d1']);
      expect(await outbox.nextDueAt(['d1', 'd2'])).toBe(300);
      expect(ids(await outbox.due(250, 10, ['d1'], 250 + LEASE))).toEqual(['d2']);
    });

    it('records attempts: a retry is due again at its time, a delivered one never', async () => {
      await delivery(outbox, 'd1', 100);
      await delivery(outbox, 'd2', 100);
      const base = { attempts: 1, last_error: null, response_code: 200, updated_at: 150 };
      await outbox.recordAttempt('d1', { ...base, status: 'delivered', next_attempt_at: null, delivered_at: 150 });
      await outbox.recordAttempt('d2', { ...base, status: 'pending', next_attempt_at: 5_000, delivered_at: null, last_error: 'HTTP 503', response_code: null });
      expect(await outbox.getDelivery('d1')).toMatchObject({ status: 'delivered', attempts: 1, delivered_at: 150, next_attempt_at: null });
      expect(await outbox.getDelivery('d2')).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503', next_attempt_at: 5_000 });
      expect(await outbox.due(4_999, 10, [], 4_999 + LEASE)).toEqual([]);
      expect(ids(await outbox.due(5_000, 10, [], 5_000 + LEASE))).toEqual(['d2']);
      expect(await outbox.getDelivery('nope')).toBeUndefined();
    });

    it('lists a subscription’s deliveries newest first, the later of one millisecond first, and deletes them', async () => {
      const a = await outbox.insertAlert(alert('a1'));
      // Ids that sort against the order they were made in: the order is the store's, not the ids'.
      for (const id of ['z', 'm', 'a']) await outbox.insertDelivery(id, 'wh1', a, 500);
      await outbox.insertDelivery('old', 'wh1', a, 100);
      await outbox.insertDelivery('other', 'wh2', a, 600);
      expect(ids(await outbox.listDeliveries('wh1', 10))).toEqual(['a', 'm', 'z', 'old']);
      expect(ids(await outbox.listDeliveries('wh1', 2))).toEqual(['a', 'm']);
      await outbox.deleteDeliveries('wh1');
      expect(await outbox.listDeliveries('wh1', 10)).toEqual([]);
      expect(ids(await outbox.listDeliveries('wh2', 10))).toEqual(['other']);
    });

    it('remembers when a kind was last raised for a run, replaces it, and forgets it with the run', async () => {
      expect(await outbox.lastRaisedAt('run-a', 'nan_loss')).toBeUndefined();
      await outbox.setLastRaised('run-a', 'nan_loss', 10);
      await outbox.setLastRaised('run-a', 'nan_loss', 20);
      await outbox.setLastRaised('run-b', 'nan_loss', 30);
      expect(await outbox.lastRaisedAt('run-a', 'nan_loss')).toBe(20);
      await outbox.forgetRun('run-a');
      expect(await outbox.lastRaisedAt('run-a', 'nan_loss')).toBeUndefined();
      expect(await outbox.lastRaisedAt('run-b', 'nan_loss')).toBe(30);
    });

    it('prunes finished deliveries and old alerts, keeping pending work and its alerts', async () => {
      await delivery(outbox, 'done', 100);
      await delivery(outbox, 'waiting', 100);
      await delivery(outbox, 'recent', 900);
      await outbox.insertAlert(alert('lonely', { created_at: 100 }));
      await outbox.recordAttempt('done', { status: 'delivered', attempts: 1, next_attempt_at: null, last_error: null, response_code: 200, updated_at: 150, delivered_at: 150 });
      await outbox.prune(500);
      expect(await outbox.getDelivery('done')).toBeUndefined();
      expect(await outbox.getAlert('alert-done')).toBeUndefined();
      expect(await outbox.getAlert('lonely')).toBeUndefined();
      expect(await outbox.getDelivery('waiting')).toBeDefined();
      expect(await outbox.getAlert('alert-waiting')).toBeDefined();
      expect(await outbox.getAlert('alert-recent')).toBeDefined();
    });

    it('writes nothing of a transaction that fails', async () => {
      const failing = open.store.transaction(async () => {
        await delivery(outbox, 'd1', 100);
        throw new Error('the batch was rejected');
      });
      await expect(failing).rejects.toThrow('the batch was rejected');
      expect(await outbox.getDelivery('d1')).toBeUndefined();
      expect(await outbox.getAlert('alert-d1')).toBeUndefined();
    });
  });
}

describe.skipIf(PG_DOWN !== undefined)(titled('outbox across PostgreSQL replicas', PG_DOWN), () => {
  let open: OpenEngine;
  let replicaA: Store;
  let replicaB: Store;
  let a: OutboxStore;
  let b: OutboxStore;
  beforeEach(async () => {
    open = await openEngine('postgres');
    replicaA = open.store;
    replicaB = await open.replica!();
    a = replicaA.outbox;
    b = replicaB.outbox;
  });
  afterEach(() => open.close());

  it('leaves a claimed delivery to its claimer until the lease ends, then hands it, same id, to another', async () => {
    await delivery(a, 'd1', 100);
    expect(ids(await a.due(200, 10, [], 200 + LEASE))).toEqual(['d1']);
    expect(await b.due(200, 10, [], 200 + LEASE)).toEqual([]);
    // The other replica looks again when the lease runs out, not at the delivery's own time.
    expect(await b.nextDueAt([])).toBe(200 + LEASE);
    expect(await b.due(200 + LEASE - 1, 10, [], 200 + LEASE - 1 + LEASE)).toEqual([]);
    // The claimer died without recording an attempt: the delivery goes out again under its id.
    const retaken = await b.due(200 + LEASE, 10, [], 200 + LEASE + LEASE);
    expect(ids(retaken)).toEqual(['d1']);
    expect(retaken[0]).toMatchObject({ status: 'pending', attempts: 0, alert_id: 'alert-d1' });
  });

  it('lets one replica send a delivery on request only when no other holds it, and gives claims back on stop', async () => {
    await delivery(a, 'd1', 100);
    expect(await a.claim('d1', 200, 200 + LEASE)).toMatchObject({ id: 'd1', status: 'pending' });
    expect(await b.claim('d1', 300, 300 + LEASE)).toBeUndefined();
    expect(await b.due(300, 10, [], 300 + LEASE)).toEqual([]);
    await a.release(['d1']);
    expect(ids(await b.due(300, 10, [], 300 + LEASE))).toEqual(['d1']);
  });

  it('frees a delivery with its attempt: the retry is due to whichever replica asks at its time', async () => {
    await delivery(a, 'd1', 100);
    await a.due(200, 10, [], 200 + LEASE);
    await a.recordAttempt('d1', { status: 'pending', attempts: 1, next_attempt_at: 300, last_error: 'HTTP 500', response_code: null, updated_at: 200, delivered_at: null });
    expect(await b.nextDueAt([])).toBe(300);
    expect(ids(await b.due(300, 10, [], 300 + LEASE))).toEqual(['d1']);
  });

  it('makes alerts visible in the order of their positions, so a poller after a position misses none', async () => {
    const reader = ((await open.replica!()) as PostgresStore).db;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stored!: () => void;
    const firstStored = new Promise<void>((resolve) => (stored = resolve));
    // The first transaction takes a position, then holds its commit until the test lets it go.
    const first = replicaA.transaction(async () => {
      await a.insertAlert(alert('early'));
      stored();
      await gate;
    });
    await firstStored;
    // The later one is stored outside any transaction of the service, as a webhook test alert is.
    const second = b.insertAlert(alert('late'));
    let decided = false;
    const outcome = await Promise.race([
      second.then(() => 'committed' as const),
      waitingForTurn(reader, () => decided).then(() => 'waiting' as const),
    ]);
    decided = true;
    try {
      // Had the later alert committed while the earlier waits, a poller would pass over the earlier position.
      if (outcome === 'committed') expect(ids(await b.listAlerts({ limit: 10 }))).toEqual(['early', 'late']);
    } finally {
      release();
      await Promise.all([first, second]);
    }
    const polled = await a.listAlerts({ limit: 10 });
    expect(ids(polled)).toEqual(['early', 'late']);
    expect(polled[1]!.seq).toBeGreaterThan(polled[0]!.seq);
  });

  it('never gives one delivery to two replicas claiming at the same moment', async () => {
    const all = Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    for (const id of all) await delivery(a, id, 100);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).due(200, 10, [], 200 + LEASE)));
    const claimed = claims.flatMap(ids);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual(all);
  });
});
