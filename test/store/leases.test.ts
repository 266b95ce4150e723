// Leases for what runs once across replicas: one holder at a time, taken over when it runs out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { openTestStore, postgresUnavailable, type TestStore } from '../helpers/test-db.ts';

const unavailable = await postgresUnavailable();

describe.skipIf(unavailable)(`leases across PostgreSQL replicas${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let db: TestStore;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    db = await openTestStore('postgres');
    a = db.store;
    b = await db.replica!();
  });
  afterEach(() => db.cleanup());

  it('grants a lease to one holder, renews it for that holder, and hands it to another once it ran out or was released', async () => {
    expect(await a.leases.acquire('watcher', 'A', 1_000, 100)).toBe(true);
    expect(await b.leases.acquire('watcher', 'B', 1_050, 100)).toBe(false);
    expect(await a.leases.acquire('watcher', 'A', 1_090, 100)).toBe(true);
    expect(await b.leases.acquire('watcher', 'B', 1_150, 100)).toBe(false);
    // A stopped renewing at 1 090: its lease ends at 1 190.
    expect(await b.leases.acquire('watcher', 'B', 1_190, 100)).toBe(true);
    expect(await a.leases.acquire('watcher', 'A', 1_200, 100)).toBe(false);
    await a.leases.release('watcher', 'A');
    expect(await a.leases.acquire('watcher', 'A', 1_210, 100)).toBe(false);
    await b.leases.release('watcher', 'B');
    expect(await a.leases.acquire('watcher', 'A', 1_220, 100)).toBe(true);
  });

  it('lets one of two replicas asking at once have it', async () => {
    const answers = await Promise.all([a.leases.acquire('sources', 'A', 5_000, 100), b.leases.acquire('sources', 'B', 5_000, 100)]);
    expect(answers.filter(Boolean)).toHaveLength(1);
  });
});

describe('leases on SQLite', () => {
  it('are always granted: one process holds the store', async () => {
    const db = await openTestStore('sqlite');
    try {
      expect(await db.store.leases.acquire('watcher', 'A', 1_000, 100)).toBe(true);
      expect(await db.store.leases.acquire('watcher', 'B', 1_010, 100)).toBe(true);
    } finally {
      await db.cleanup();
    }
  });
});
