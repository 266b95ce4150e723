// A silence is acted on once: by one of two replicas checking at the same time, and not at all
// by a check that read the run before its next event arrived.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateRunBody } from '../../src/domain/runs.ts';
import { AnalystService, type FindingSink } from '../../src/service/service.ts';
import { createTelemetry } from '../../src/service/telemetry.ts';
import type { Store } from '../../src/store/store.ts';
import { openTestStore, type TestStore } from '../helpers/test-db.ts';

const MIN = 60_000;

/** A sink that counts the stalls it is told of. */
function stallCounter(stalled: string[]): FindingSink {
  return {
    onFindingChanges: async () => {},
    onRunFinished: async () => {},
    onRunStalled: async (run) => void stalled.push(run.id),
  };
}

const serviceOn = (store: Store, stalled: string[]) => {
  const service = new AnalystService({ store, telemetry: createTelemetry(), limits: { window: 64, maxMetrics: 64, recentEvents: 8 }, maxActiveRuns: 10 });
  service.addSink(stallCounter(stalled));
  return service;
};

describe('the stall check across replicas', () => {
  let db: TestStore;
  beforeEach(async () => {
    db = await openTestStore();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('stalls a silent run once when two replicas check it at the same time', async () => {
    const stalled: string[] = [];
    const a = serviceOn(db.store, stalled);
    // Another replica's store where the engine has replicas; another service on the same store otherwise.
    const b = serviceOn(db.replica ? await db.replica() : db.store, stalled);
    const { run } = await a.createRun(CreateRunBody.parse({ name: 'quiet', project: 'replicas' }));
    const last = Date.now();
    await a.ingest(run.id, [{ type: 'metrics', step: 1, ts: last, values: { loss: 1 } }]);

    await Promise.all([a.checkSilence(last + 16 * MIN), b.checkSilence(last + 16 * MIN)]);
    expect(stalled).toEqual([run.id]);
    expect((await db.store.getRun(run.id))?.status).toBe('stalled');
  });

  it('leaves alone a run whose event came after the check read it', async () => {
    const stalled: string[] = [];
    const a = serviceOn(db.store, stalled);
    const { run } = await a.createRun(CreateRunBody.parse({ name: 'back', project: 'replicas' }));
    const last = Date.now();
    await a.ingest(run.id, [{ type: 'metrics', step: 1, ts: last, values: { loss: 1 } }]);
    const [read] = await db.store.silentRuns(Date.now() + MIN, 0);
    expect(read.id).toBe(run.id);

    await a.ingest(run.id, [{ type: 'metrics', step: 2, ts: Date.now(), values: { loss: 0.9 } }]);
    expect(await db.store.markSilent(read, 'stalled', Date.now())).toBe(false);
    expect((await db.store.getRun(run.id))?.status).toBe('running');
  });
});
