// What every engine of the Store promises, checked on each: SQLite, and PostgreSQL when a server answers.
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/findings.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { NewEvent, Store } from '../../src/store/store.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { openTestStore, postgresUnavailable, testDatabase, type TestEngine, type TestStore } from '../helpers/test-db.ts';

const pgDown = await postgresUnavailable();

const opened: TestStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.cleanup()));
});

async function open(engine: TestEngine): Promise<TestStore> {
  const t = await openTestStore(engine);
  opened.push(t);
  return t;
}

const newRun = (store: Store, name: string, extra: { project?: string; config?: Record<string, unknown>; id?: string } = {}) =>
  store.createRun({ name, project: extra.project ?? 'p', config: extra.config ?? {}, meta: {}, tags: {}, ...(extra.id ? { id: extra.id } : {}) }, 1000);

const metrics = (step: number, values: Record<string, number>, event_id?: string): NewEvent =>
  ({ body: { type: 'metrics', step, values }, ts: 2000 + step, ...(event_id ? { event_id } : {}) }) as NewEvent;

const log = (message: string, ts = 5000): NewEvent => ({ body: { type: 'log', level: 'info', message }, ts }) as NewEvent;

/** A falling loss with a spike, a dip, NaNs and infinities at known places. */
function lossAt(i: number): number {
  if (i === 123 || i === 2500) return NaN;
  if (i === 999) return Infinity;
  if (i === 1500) return -Infinity;
  if (i === 777) return 90;
  if (i === 1800) return -5;
  return 2 / (1 + i / 500) + 0.01 * Math.sin(i * 1.7);
}

async function fill(store: Store, run: string, n: number, batch: number): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    const events = Array.from({ length: Math.min(batch, n - i) }, (_, k) => metrics(i + k, { loss: lossAt(i + k), lr: 0.1 }));
    await store.transaction(() => store.appendEvents(run, events, 3000));
  }
}

const seqsOf = async (store: Store, run: string) => (await store.eventsAfter(run, 0, 100_000)).map((e) => e.seq);

const finding = (run: string, evidence: Finding['evidence']): Finding => ({
  id: `${run}-nan`,
  run,
  kind: 'nan_loss',
  severity: 'critical',
  status: 'open',
  step: 3,
  epoch: null,
  message: 'the loss became NaN at step 3',
  evidence,
  actions: ['lower the learning rate'],
  created_at: 4000,
  updated_at: 4000,
  resolved_at: null,
});

const engines: Array<{ engine: TestEngine; skip: string | undefined }> = [
  { engine: 'sqlite', skip: undefined },
  { engine: 'postgres', skip: pgDown },
];

for (const { engine, skip } of engines) {
  describe.skipIf(skip !== undefined)(`store contract: ${engine}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('numbers a run\'s events in order, batch after batch, with global numbers that grow', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'order');
      const first = await store.appendEvents(run.id, [metrics(0, { loss: 1 }), log('hello'), metrics(1, { loss: 0.9 })], 3000);
      const second = await store.appendEvents(run.id, [metrics(2, { loss: 0.8 })], 3001);
      expect(first.stored.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(second.stored.map((e) => e.seq)).toEqual([4]);
      const gids = [...first.stored, ...second.stored].map((e) => e.gid);
      expect(gids).toEqual([...gids].sort((a, b) => a - b));
      expect(new Set(gids).size).toBe(4);
      expect(await store.eventsAfter(run.id, 1, 10)).toEqual([...first.stored.slice(1), ...second.stored]);
      expect(await store.eventsAfterGlobal(gids[1], 2)).toEqual([first.stored[2], second.stored[0]]);
      expect(await store.lastGid()).toBe(gids[3]);
      const after = (await store.getRun(run.id))!;
      expect(after.last_seq).toBe(4);
      expect(after.updated_at).toBe(3001);
      expect(after.last_event_at).toBe(3001);
      expect(await store.recentLogs(run.id, 5)).toEqual(['hello']);
      expect((await store.recentEvents(run.id, ['metrics'], 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect((await store.eventsOfTypesAfter(run.id, ['metrics', 'log'], 1, 2)).map((e) => e.seq)).toEqual([2, 3]);
      expect(await store.metricNames(run.id)).toEqual(['loss']);
    });

    it('stores a retried batch once, and counts the repeats', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'retry');
      const batch = () => [metrics(0, { loss: 1 }, 'a'), metrics(1, { loss: 0.9 }, 'b'), metrics(1, { loss: 0.9 }, 'b'), log('no key')];
      const first = await store.appendEvents(run.id, batch(), 3000);
      expect(first.stored.map((e) => [e.seq, e.event_id])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, undefined],
      ]);
      expect(first.duplicates).toBe(1);
      const again = await store.appendEvents(run.id, batch(), 3001);
      // Events without a key cannot be told from new ones: the log line is stored again.
      expect(again.stored.map((e) => e.seq)).toEqual([4]);
      expect(again.duplicates).toBe(3);
      expect((await store.series.range(run.id, 'loss'))!.last).toBe(1);
    });

    it('stores a batch retried twice at once, on separate connections, once', async () => {
      const t = await open(engine);
      const other = t.replica ? await t.replica() : t.store;
      const run = await newRun(t.store, 'concurrent retry');
      const batch = () => Array.from({ length: 200 }, (_, k) => metrics(k, { loss: 1 / (k + 1) }, `key-${k}`));
      const results = await Promise.all([t.store.appendEvents(run.id, batch(), 3000), other.appendEvents(run.id, batch(), 3000)]);
      expect(results.map((r) => r.stored.length).sort((a, b) => a - b)).toEqual([0, 200]);
      expect(results.map((r) => r.duplicates).sort((a, b) => a - b)).toEqual([0, 200]);
      expect(await seqsOf(t.store, run.id)).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
      expect((await t.store.series.range(run.id, 'loss'))!.last).toBe(199);
    });

    it('writes nothing of a batch whose transaction fails, nor of a batch for a run that does not exist', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'rejected');
      await store.appendEvents(run.id, [metrics(0, { loss: 1 }, 'kept')], 3000);
      await expect(
        store.transaction(async () => {
          await store.appendEvents(run.id, [metrics(1, { loss: 0.5, acc: 0.1 }, 'lost'), log('lost too')], 3001);
          throw new Error('the batch is refused');
        }),
      ).rejects.toThrow('the batch is refused');
      await expect(store.appendEvents('no-such-run', [metrics(0, { loss: 1 })], 3002)).rejects.toThrow();
      expect(await seqsOf(store, run.id)).toEqual([1]);
      expect((await store.getRun(run.id))!.last_seq).toBe(1);
      expect(await store.metricNames(run.id)).toEqual(['loss']);
      expect((await store.series.range(run.id, 'loss'))!.last).toBe(0);
      // The refused batch's key was never stored: sending it again stores it.
      expect((await store.appendEvents(run.id, [metrics(1, { loss: 0.5 }, 'lost')], 3003)).stored.map((e) => e.seq)).toEqual([2]);
    });

    it('rolls back a nested transaction alone', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'nested');
      await store.transaction(async () => {
        await store.appendEvents(run.id, [metrics(0, { loss: 1 })], 3000);
        await expect(
          store.transaction(async () => {
            await store.appendEvents(run.id, [metrics(1, { loss: 2, acc: 0.5 })], 3001);
            await store.updateRun(run.id, { note: 'undone' }, 3001);
            throw new Error('inner failure');
          }),
        ).rejects.toThrow('inner failure');
        await store.appendEvents(run.id, [metrics(2, { loss: 0.5 })], 3002);
      });
      const events = await store.eventsAfter(run.id, 0, 10);
      expect(events.map((e) => [e.seq, (e as { step: number }).step])).toEqual([
        [1, 0],
        [2, 2],
      ]);
      expect(await store.metricNames(run.id)).toEqual(['loss']);
      expect((await store.getRun(run.id))!.note).toBeNull();
      const range = (await store.series.range(run.id, 'loss'))!;
      const points = [];
      for await (const page of store.series.pages(range, 10)) points.push(...page.map((p) => [p.i, p.value, p.seq]));
      expect(points).toEqual([
        [0, 1, 1],
        [1, 0.5, 2],
      ]);
    });

    it('numbers concurrent batches into one run without gap, each batch in one piece', async () => {
      const t = await open(engine);
      const other = t.replica ? await t.replica() : t.store;
      const run = await newRun(t.store, 'two writers');
      const writer = async (store: Store, from: number) => {
        const batches = [];
        for (let b = 0; b < 10; b++) {
          const events = Array.from({ length: 25 }, (_, k) => metrics(from + b * 25 + k, { loss: 1 }));
          batches.push((await store.appendEvents(run.id, events, 3000)).stored.map((e) => e.seq));
        }
        return batches;
      };
      const batches = (await Promise.all([writer(t.store, 0), writer(other, 10_000)])).flat();
      for (const seqs of batches) expect(seqs).toEqual(Array.from({ length: 25 }, (_, k) => seqs[0] + k));
      expect(await seqsOf(t.store, run.id)).toEqual(Array.from({ length: 500 }, (_, k) => k + 1));
      const range = (await t.store.series.range(run.id, 'loss'))!;
      expect(range.last).toBe(499);
    });

    it('hands a reader paging by global number every event exactly once while two writers append', async () => {
      const t = await open(engine);
      const other = t.replica ? await t.replica() : t.store;
      const runs = [await newRun(t.store, 'feed a'), await newRun(t.store, 'feed b')];
      let writing = true;
      const writers = Promise.all(
        [t.store, other].map(async (store, w) => {
          for (let b = 0; b < 20; b++) await store.appendEvents(runs[w].id, Array.from({ length: 20 }, (_, k) => metrics(b * 20 + k, { loss: 1 })), 3000);
        }),
      ).finally(() => (writing = false));
      const seen: number[] = [];
      let cursor = 0;
      const read = async () => {
        const page = await t.store.eventsAfterGlobal(cursor, 1000);
        for (const e of page) seen.push(e.gid);
        if (page.length) cursor = page[page.length - 1].gid;
      };
      // A turn of the event loop between pages, as any real reader gives: a SQLite write waits for
      // its flush on the thread pool, whose answer a reader spinning on microtasks would starve.
      while (writing) {
        await read();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writers;
      await read();
      expect(seen).toHaveLength(800);
      expect(new Set(seen).size).toBe(800);
    });

    it('deletes a run with every row keyed by it, and leaves its tombstone', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'doomed');
      const kept = await newRun(store, 'kept');
      await fill(store, run.id, 100, 100);
      await fill(store, kept.id, 10, 10);
      await store.saveFinding(finding(run.id, { loss: NaN }));
      await store.snapshots.save(run.id, { seq: 100, shape: 's1', state: '{}' }, 4000);
      await store.saveReadReport(run.id, 'logs', { format: 'logs', lines: 1, points: 0, skipped: 0, examples: [], mapped: {}, unmapped: {}, unmapped_names: 0 }, 4000);
      await store.saveRunRequest('create-key', { run: run.id, fingerprint: 'f' }, 4000);
      const removed = await store.deleteRun(run.id, 5000);
      expect(removed).toMatchObject({ events: 100, series: 2, samples: 200, findings: 1, run_snapshots: 1, read_reports: 1, run_requests: 1 });
      // 100 points of a series make 12 buckets of 8 and one of 64, for each of two series.
      expect(removed.series_buckets).toBe(26);
      expect(await store.getRun(run.id)).toBeUndefined();
      expect(await store.deletedRun(run.id)).toEqual({ id: run.id, project: 'p', name: 'doomed', deleted_at: 5000 });
      expect(await store.eventsAfter(run.id, 0, 10)).toEqual([]);
      expect(await store.metricNames(run.id)).toEqual([]);
      expect(await store.findings(run.id)).toEqual([]);
      expect(await store.snapshots.get(run.id)).toBeUndefined();
      expect(await store.runRequest('create-key')).toBeUndefined();
      expect(await store.deleteRun(run.id, 5001)).toEqual({});
      expect((await store.eventsAfter(kept.id, 0, 100)).length).toBe(10);
      expect(await store.metricNames(kept.id)).toEqual(['loss', 'lr']);
    });

    it('lists runs newest first, a page at a time, with their open findings, filtered and sorted', async () => {
      const { store } = await open(engine);
      const made = [];
      for (let k = 0; k < 5; k++) made.push(await newRun(store, `run ${k}`, { project: k < 3 ? 'vision' : 'text', config: { lr: [0.3, 0.1, 'x', 0.2, null][k] } }));
      await store.saveFinding(finding(made[1].id, { loss: 1 }));
      await store.appendEvents(made[0].id, [metrics(0, { loss: 3 })], 3000);
      await store.appendEvents(made[2].id, [metrics(0, { loss: 1 })], 3000);
      await store.appendEvents(made[3].id, [metrics(0, { loss: NaN })], 3000);
      await store.updateRun(made[4].id, { archived_at: 6000, tags: { team: 'nlp' } }, 6000);
      const page = (offset: number, extra: Record<string, unknown> = {}) =>
        store.listRuns({ tag: [], archived: false, limit: 2, offset, ...extra } as Parameters<Store['listRuns']>[0]);
      const first = await page(0);
      expect(first.total).toBe(4);
      // Created in the same millisecond: the newest is the one inserted last.
      expect(first.runs.map((r) => r.name)).toEqual(['run 3', 'run 2']);
      expect((await page(2)).runs.map((r) => [r.name, r.open_findings])).toEqual([
        ['run 1', 1],
        ['run 0', 0],
      ]);
      expect((await page(0, { project: 'vision', limit: 10 })).runs.map((r) => r.name)).toEqual(['run 2', 'run 1', 'run 0']);
      expect((await page(0, { archived: 'only' })).runs.map((r) => r.name)).toEqual(['run 4']);
      expect((await page(0, { archived: true, tag: ['team=nlp'] })).runs.map((r) => r.name)).toEqual(['run 4']);
      expect((await page(0, { q: ['run', '1'], limit: 10 })).runs.map((r) => r.name)).toEqual(['run 1']);
      expect((await page(0, { sort: 'config.lr', archived: true, limit: 10 })).runs.map((r) => r.name)).toEqual(['run 1', 'run 3', 'run 0', 'run 2', 'run 4']);
      expect((await page(0, { sort: '-summary.loss', limit: 10 })).runs.map((r) => r.name)).toEqual(['run 0', 'run 2', 'run 3', 'run 1']);
      const columns = await store.runColumns([made[0].id, made[1].id, made[3].id]);
      expect(columns.get(made[0].id)!.summary).toEqual({ loss: 3 });
      expect(columns.get(made[3].id)!.summary.loss).toBeNaN();
      expect(columns.get(made[1].id)!.open_by_severity).toEqual({ critical: 1, warning: 0, info: 0 });
    });

    it('replays a run page after page, from any seq', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'long');
      await fill(store, run.id, 2500, 1000);
      const seqs = [];
      for await (const e of store.replay(run.id)) seqs.push(e.seq);
      expect(seqs).toEqual(Array.from({ length: 2500 }, (_, k) => k + 1));
      const tail = [];
      for await (const e of store.replay(run.id, 1990)) tail.push(e.seq);
      expect(tail).toEqual(Array.from({ length: 510 }, (_, k) => k + 1991));
    });

    it('gives back non-finite values as they were sent', async () => {
      const { store } = await open(engine);
      const run = await newRun(store, 'non-finite');
      const { stored } = await store.appendEvents(run.id, [metrics(0, { loss: NaN, grad: Infinity, neg: -Infinity, ok: 0.1 })], 3000);
      const [event] = await store.eventsAfter(run.id, 0, 1);
      expect(event).toEqual(stored[0]);
      const values = (event as { values: Record<string, number> }).values;
      expect(values.loss).toBeNaN();
      expect(values.grad).toBe(Infinity);
      expect(values.neg).toBe(-Infinity);
      const points = await store.points(run.id, {});
      expect(points.map((p) => [p.name, p.value])).toEqual([
        ['grad', Infinity],
        ['loss', NaN],
        ['neg', -Infinity],
        ['ok', 0.1],
      ]);
      await store.saveFinding(finding(run.id, { loss: NaN, grad: Infinity, at: 'step 3', exact: true, none: null }));
      const [saved] = await store.findings(run.id, 'open');
      expect(saved.evidence).toEqual({ loss: NaN, grad: Infinity, at: 'step 3', exact: true, none: null });
      expect(await store.findings(run.id, 'resolved')).toEqual([]);
    });

    it('finds runs by id, project and name, and the stages of a lineage', async () => {
      const { store } = await open(engine);
      const older = await newRun(store, 'base', { project: 'a/b' });
      const newer = await newRun(store, 'base', { project: 'a/b', id: 'chosen-id' });
      expect(newer.id).toBe('chosen-id');
      expect((await store.findRun('a/b', 'base'))!.id).toBe(newer.id);
      expect((await store.resolveRun('a/b/base'))!.id).toBe(newer.id);
      expect((await store.runsNamed('base')).map((r) => r.id)).toEqual([newer.id, older.id]);
      const child = await store.createRun({ name: 'finetune', project: 'a/b', config: {}, meta: {}, tags: {}, parent_run: 'a/b/base', stage: 'sft' }, 2000);
      expect((await store.childRuns(newer)).map((r) => r.id)).toEqual([child.id]);
      expect(await store.childRuns(older)).toEqual([]);
      expect((await store.lineageRuns()).map((r) => r.id)).toEqual([child.id]);
      expect(await store.silentRuns(1500, 0)).toHaveLength(2);
      await store.updateRun(child.id, { note: 'second stage', tags: { team: 'nlp' } }, 2500);
      expect(await store.getRun(child.id)).toMatchObject({ note: 'second stage', tags: { team: 'nlp' }, updated_at: 2500 });
      await expect(store.updateRun(child.id, { 'note = NULL, name': 'x' } as never, 2600)).rejects.toThrow();
      expect((await store.getRun(child.id))!.name).toBe('finetune');
      await store.ping();
      expect((await store.integrityReport()).ok).toBe(true);
    });
  });
}

describe.skipIf(pgDown !== undefined)(`series: both engines answer alike${pgDown ? ` (skipped: ${pgDown})` : ''}`, () => {
  it('gives the same ranges, pages and envelopes for the same events, spikes and NaNs kept, whatever the batch sizes', async () => {
    const sqlite = (await open('sqlite')).store;
    const postgres = (await open('postgres')).store;
    const answers = async (store: Store, batch: number) => {
      const run = await newRun(store, 'same');
      await fill(store, run.id, 3000, batch);
      const out: unknown[] = [];
      for (const [from, to] of [[undefined, undefined], [100, 2600], [777, 777], [5000, undefined]] as const) {
        const range = await store.series.range(run.id, 'loss', from, to);
        out.push(range && { first: range.first, last: range.last });
        if (!range) continue;
        out.push(await store.series.ends(range));
        for (const width of [4, 30, 300, 5000]) out.push(await store.series.envelope(range, width));
      }
      const all = (await store.series.range(run.id, 'loss'))!;
      for await (const page of store.series.pages(all, 700)) out.push(page);
      return out;
    };
    const expected = await answers(sqlite, 3000);
    expect(await answers(postgres, 3000)).toEqual(expected);
    expect(await answers(postgres, 7)).toEqual(expected);
    expect(await answers(postgres, 500)).toEqual(expected);
    const envelope = expected[3] as { points: Array<{ i: number; value: number }> };
    const shown = new Map(envelope.points.map((p) => [p.i, p.value]));
    expect(shown.get(777)).toBe(90);
    expect(shown.get(1800)).toBe(-5);
    expect([123, 999, 1500, 2500].some((i) => shown.has(i))).toBe(true);
  });
});

describe.skipIf(pgDown !== undefined)(`replicas on one PostgreSQL${pgDown ? ` (skipped: ${pgDown})` : ''}`, () => {
  it('share the schema a database URL names, as replicas started with one ANALYST_DB do', async () => {
    const db = await testDatabase('postgres');
    const [a, b] = [await openPostgresStore(db.url), await openPostgresStore(db.url)];
    try {
      const run = await newRun(a, 'shared');
      await a.appendEvents(run.id, [metrics(0, { loss: 1 })], 3000);
      expect((await b.getRun(run.id))!.last_seq).toBe(1);
      const { rows } = await b.db.query<{ schema: string }>('SELECT current_schema() AS schema');
      expect(db.url).toContain(`search_path%3D${rows[0].schema}`);
      expect(rows[0].schema).toMatch(/^test_/);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await db.cleanup();
    }
  });

  it('gives events their global numbers in commit order, so a reader by gid never passes one committed later', async () => {
    const t = await open('postgres');
    const first = t.store as PostgresStore;
    const second = await t.replica!();
    const [a, b] = [await newRun(first, 'slow commit'), await newRun(first, 'quick commit')];
    let appended!: () => void;
    let release!: () => void;
    const isAppended = new Promise<void>((resolve) => (appended = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = first.transaction(async () => {
      await first.appendEvents(a.id, [metrics(0, { loss: 1 }), metrics(1, { loss: 1 })], 3000);
      appended();
      await released;
    });
    await isAppended;
    let quickDone = false;
    const quick = second.appendEvents(b.id, [metrics(0, { loss: 2 })], 3000).finally(() => (quickDone = true));
    // Until the quick batch either committed or waits for the write lock the slow one holds.
    const waiting = async () => {
      const { rows } = await first.db.query<{ objid: number }>(`SELECT objid::bigint AS objid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
      return rows.some((r) => r.objid === first.writeLock >>> 0);
    };
    while (!quickDone && !(await waiting()));
    const early = await first.eventsAfterGlobal(0, 100);
    release();
    await Promise.all([slow, quick]);
    const late = await first.eventsAfterGlobal(early.length ? early[early.length - 1].gid : 0, 100);
    expect([...early, ...late].map((e) => [e.run, e.seq]).sort()).toEqual([
      [a.id, 1],
      [a.id, 2],
      [b.id, 1],
    ].sort());
  });
});
