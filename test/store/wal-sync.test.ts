// Durability on SQLite with the log flushed off the event loop: nothing is acknowledged before its
// flush resolves, a failed flush acknowledges nothing, and checkpoints happen in their own thread.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnalystService } from '../../src/service/service.ts';
import { createTelemetry } from '../../src/service/telemetry.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { WalSync, type Fsync } from '../../src/store/sqlite/wal-sync.ts';
import { until } from '../streams/clients.ts';

/** An fsync that, once held, waits until the test lets it finish, or fails it. */
class HeldFsync {
  readonly calls: Array<(err: NodeJS.ErrnoException | null) => void> = [];
  held = true;
  private waiters: Array<() => void> = [];
  readonly fsync: Fsync = (_fd, done) => {
    if (!this.held) return done(null);
    this.calls.push(done);
    for (const w of this.waiters.splice(0)) w();
  };

  /** Resolves once `n` flushes were asked for in all. */
  async asked(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openStore(fsync?: Fsync): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-wal-'));
  dirs.push(dir);
  const store = new SqliteStore(join(dir, 'a.db'), { fsync });
  stores.push(store);
  return store;
}

function serviceOn(store: SqliteStore): AnalystService {
  return new AnalystService({ store, telemetry: createTelemetry(), limits: { window: 256, maxMetrics: 64, recentEvents: 32 }, maxActiveRuns: 10 });
}

const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'metrics' as const, step: i, values: { loss: 1 / (i + 1) } }));

describe('the log flushed off the event loop', () => {
  it('acknowledges a batch only once the flush after its commit resolves', async () => {
    const held = new HeldFsync();
    held.held = false;
    const store = openStore(held.fsync);
    const service = serviceOn(store);
    const run = (await service.createRun({ name: 'held', project: 'wal', config: {}, meta: {}, tags: {} })).run.id;
    held.held = true;
    const published: number[] = [];
    service.bus.subscribe('*', (e) => published.push(e.seq));
    let acknowledged = false;
    const ingest = service.ingestGrouped(run, metrics(3)).then((r) => {
      acknowledged = true;
      return r;
    });
    await held.asked(1);
    // Committed (another connection would see it) but not on disk yet: no answer, nothing published.
    expect((await store.getRun(run))!.last_seq).toBe(3);
    expect(acknowledged).toBe(false);
    expect(published).toEqual([]);
    held.calls[0](null);
    expect(await ingest).toMatchObject({ accepted: 3, last_seq: 3 });
    expect(published).toEqual([1, 2, 3]);
  });

  it('refuses every batch of a group whose flush failed, with a 503 that says so, and publishes none', async () => {
    const held = new HeldFsync();
    held.held = false;
    const store = openStore(held.fsync);
    const service = serviceOn(store);
    const [a, b] = await Promise.all(['a', 'b'].map(async (name) => (await service.createRun({ name, project: 'wal', config: {}, meta: {}, tags: {} })).run.id));
    held.held = true;
    const published: string[] = [];
    service.bus.subscribe('*', (e) => published.push(e.run));
    const batches = [service.ingestGrouped(a, metrics(2)), service.ingestGrouped(b, metrics(4))];
    await held.asked(1);
    held.calls[0](Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    const answers = await Promise.allSettled(batches);
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 'rejected', reason: { code: 'unavailable', status: 503, details: { reason: 'EIO' } } });
      expect((answer as PromiseRejectedResult).reason.message).toMatch(/disk did not confirm .* not acknowledged/);
    }
    expect(published).toEqual([]);
    // The next batch is written after what the file holds, and acknowledged once its own flush succeeds.
    const next = service.ingestGrouped(a, metrics(1));
    await held.asked(2);
    held.calls[1](null);
    expect(await next).toMatchObject({ accepted: 1, last_seq: 3 });
  });

  it('lets commits that ask while a flush is in flight share the next one, never the one in flight', async () => {
    const held = new HeldFsync();
    openStore();
    const sync = new WalSync(join(dirs[0], 'a.db'), held.fsync);
    sync.open();
    const done: string[] = [];
    const first = sync.sync().then(() => done.push('first'));
    await held.asked(1);
    const second = sync.sync().then(() => done.push('second'));
    const third = sync.sync().then(() => done.push('third'));
    // Both wait for a flush that begins after the one in flight ends.
    expect(held.calls).toHaveLength(1);
    held.calls[0](null);
    await first;
    await held.asked(2);
    expect(done).toEqual(['first']);
    held.calls[1](null);
    await Promise.all([second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    expect(held.calls).toHaveLength(2);
    sync.close();
  });

  it('copies the log back into the database file in its own thread', async () => {
    const store = openStore();
    const service = serviceOn(store);
    const path = join(dirs[0], 'a.db');
    const run = (await service.createRun({ name: 'big', project: 'wal', config: {}, meta: {}, tags: {} })).run.id;
    const before = statSync(path).size;
    // About 8 MB of log: past the checkpoint threshold.
    const padding = 'x'.repeat(4000);
    for (let i = 0; i < 20; i++) {
      await service.ingestGrouped(run, Array.from({ length: 100 }, (_, j) => ({ type: 'log' as const, level: 'info' as const, message: `${i * 100 + j} ${padding}` })));
    }
    await until(() => statSync(path).size > before + 4 * 1024 * 1024);
  });
});
