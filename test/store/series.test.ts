import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { FANOUT, LEVELS } from '../../src/store/series-summary.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewEvent } from '../../src/store/store.ts';

const dirs: string[] = [];
function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'series-test-'));
  dirs.push(dir);
  return join(dir, 'analyst.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A noisy falling loss with spikes, dips, NaNs and an infinity at known places. */
function value(i: number): number {
  if (i === 1234 || i === 4321) return NaN;
  if (i === 2999) return Infinity;
  if (i === 777) return 90;
  if (i === 3500) return -5;
  return 2 / (1 + i / 500) + 0.01 * Math.sin(i * 1.7);
}

function metrics(from: number, to: number): NewEvent[] {
  return Array.from({ length: to - from }, (_, k) => ({ body: { type: 'metrics', step: from + k, values: { loss: value(from + k), lr: 0.1 } }, ts: 1000 + from + k }) as NewEvent);
}

async function fill(store: SqliteStore, run: string, n: number, batch: number): Promise<void> {
  for (let i = 0; i < n; i += batch) await store.transaction(() => store.appendEvents(run, metrics(i, Math.min(n, i + batch)), 0));
}

const bucketRows = (db: Database.Database, series: number) =>
  db.prepare('SELECT level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i FROM series_buckets WHERE series = ? ORDER BY level, bucket').all(series);

describe('series storage', async () => {
  it('keeps the same summaries whatever the batch sizes, and each one matches its points', async () => {
    const a = new SqliteStore(dbPath());
    const b = new SqliteStore(dbPath());
    const runA = (await a.createRun({ name: 'a', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    const runB = (await b.createRun({ name: 'b', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    await fill(a, runA, 5000, 7);
    await fill(b, runB, 5000, 5000);
    const idA = (await a.series.range(runA, 'loss'))!.series;
    const idB = (await b.series.range(runB, 'loss'))!.series;
    const rows = bucketRows(a.db, idA) as Array<{ level: number; bucket: number; lo: number; lo_i: number; hi: number; hi_i: number; nonfinite: number; nonfinite_i: number | null }>;
    expect(rows).toEqual(bucketRows(b.db, idB));
    // Every complete bucket of every level, and no other.
    for (let level = 1; level <= LEVELS; level++) expect(rows.filter((r) => r.level === level)).toHaveLength(Math.floor(5000 / FANOUT ** level));
    for (const r of rows) {
      const size = FANOUT ** r.level;
      const values = Array.from({ length: size }, (_, k) => value(r.bucket * size + k));
      const finite = values.filter(Number.isFinite);
      expect(r.lo).toBe(Math.min(...finite));
      expect(r.hi).toBe(Math.max(...finite));
      expect(value(r.lo_i)).toBe(r.lo);
      expect(r.nonfinite).toBe(values.length - finite.length);
      expect(r.nonfinite_i).toBe(r.nonfinite ? r.bucket * size + values.findIndex((v) => !Number.isFinite(v)) : null);
    }
    await a.close();
    await b.close();
  });

  it('draws any range as reading every point would, from few rows', async () => {
    const store = new SqliteStore(dbPath());
    const run = (await store.createRun({ name: 'r', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    await fill(store, run, 6000, 1000);
    for (const [from, to] of [[0, 5999], [1000, 4999], [3, 3517], [2990, 3010]]) {
      const range = (await store.series.range(run, 'loss', from, to))!;
      expect(range).toMatchObject({ first: from, last: to });
      const n = to - from + 1;
      const { points, rows } = await store.series.envelope(range, 302);
      expect(points.length).toBeLessThanOrEqual(302);
      // Real points, in order, from both ends of the range.
      for (const p of points) expect([p.step, p.ts, Object.is(p.value, value(p.i)) || p.value === value(p.i)]).toEqual([p.i, 1000 + p.i, true]);
      expect(points.map((p) => p.i)).toEqual([...points.map((p) => p.i)].sort((x, y) => x - y));
      expect([points[0].i, points[points.length - 1].i]).toEqual([from, to]);
      // Every spike, dip and non-finite value in the range is there, as is the range's lowest and highest.
      const inRange = Array.from({ length: n }, (_, k) => from + k);
      for (const i of [777, 3500, 1234, 4321, 2999].filter((i) => i >= from && i <= to)) expect(points.some((p) => p.i === i), `point ${i}`).toBe(true);
      const finite = inRange.filter((i) => Number.isFinite(value(i)));
      const lowest = finite.reduce((a, i) => (value(i) < value(a) ? i : a));
      const highest = finite.reduce((a, i) => (value(i) > value(a) ? i : a));
      expect(points.map((p) => p.i)).toEqual(expect.arrayContaining([lowest, highest]));
      // Each stretch of a hundredth of the range shows its own highest point (a column is at most two such stretches wide).
      const stretch = Math.ceil(n / 50);
      for (let a = from; a <= to; a += stretch) {
        const part = finite.filter((i) => i >= a && i < a + stretch);
        const top = Math.max(...part.map(value));
        const shown = points.filter((p) => p.i >= a - stretch && p.i < a + 2 * stretch && Number.isFinite(p.value));
        expect(Math.max(...shown.map((p) => p.value))).toBeGreaterThanOrEqual(top);
      }
      // O(width): at most FANOUT summaries per column and the ragged edges, never every point.
      expect(rows).toBeLessThanOrEqual(Math.min(2 * n, FANOUT * 100 + 2 * (FANOUT - 1) * LEVELS + 302));
      if (n > 2000) expect(rows).toBeLessThan(n / 2);
    }
    await store.close();
  });

  it('summarises on from what a rolled-back append left, not from what it planned', async () => {
    const a = new SqliteStore(dbPath());
    const b = new SqliteStore(dbPath());
    const runA = (await a.createRun({ name: 'a', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    const runB = (await b.createRun({ name: 'b', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    await fill(a, runA, 300, 100);
    // The same number of points, other values, rolled back: the next append must not build on them.
    const spikes = metrics(300, 400).map((e) => ({ ...e, body: { type: 'metrics', step: 0, values: { loss: 1000, lr: 0.1 } } }) as NewEvent);
    await expect(
      a.transaction(async () => {
        await a.appendEvents(runA, spikes, 0);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    for (let i = 300; i < 1000; i += 100) await a.transaction(() => a.appendEvents(runA, metrics(i, i + 100), 0));
    await fill(b, runB, 1000, 1000);
    const rows = async (store: SqliteStore, run: string) => bucketRows(store.db, (await store.series.range(run, 'loss'))!.series);
    expect(await rows(a, runA)).toEqual(await rows(b, runB));
    expect((await rows(a, runA)).every((r: any) => r.hi < 1000)).toBe(true);
    await a.close();
    await b.close();
  });

  it('builds series, names and summaries for points stored before it existed', async () => {
    const path = dbPath();
    const old = new Database(path);
    migrate(old, 4);
    old.prepare(`INSERT INTO runs (id, project, name, status, created_at, updated_at) VALUES ('old', 'p', 'n', 'running', 0, 0)`).run();
    const insert = old.prepare('INSERT INTO points (run, name, step, epoch, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)');
    old.transaction(() => {
      for (let i = 0; i < 5000; i++) {
        insert.run('old', 'loss', i, null, value(i), 1000 + i, i + 1);
        insert.run('old', 'lr', i, null, 0.1, 1000 + i, i + 1);
      }
    })();
    old.close();
    const migrated = new SqliteStore(path);
    const fresh = new SqliteStore(dbPath());
    const run = (await fresh.createRun({ name: 'n', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
    await fill(fresh, run, 5000, 100);
    expect(await migrated.metricNames('old')).toEqual(['loss', 'lr']);
    const range = (await migrated.series.range('old', 'loss'))!;
    expect(range).toMatchObject({ first: 0, last: 4999 });
    expect(bucketRows(migrated.db, range.series)).toEqual(bucketRows(fresh.db, (await fresh.series.range(run, 'loss'))!.series));
    expect((await migrated.series.envelope(range, 100)).points.some((p) => Number.isNaN(p.value))).toBe(true);
    // New points number on from where the old ones end.
    await migrated.transaction(() => migrated.appendEvents('old', metrics(5000, 5100), 0));
    expect(await migrated.series.range('old', 'loss')).toMatchObject({ first: 0, last: 5099 });
    await migrated.close();
    await fresh.close();
  });
});
