import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'silence-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runs by silence and by age', () => {
  const store = new SqliteStore(join(dir, 'a.db'));
  const make = async (name: string, created: number, status: string, lastEventAt: number | null) => {
    const run = await store.createRun({ name, project: 'p', config: {}, meta: {}, tags: {} }, created);
    store.db.prepare('UPDATE runs SET status = ?, last_event_at = ? WHERE id = ?').run(status, lastEventAt, run.id);
    return run.id;
  };
  let stale: string;
  let gone: string;
  let neverSpoke: string;
  beforeAll(async () => {
    for (let i = 0; i < 200; i++) await make(`recent-${i}`, 1000 + i, 'running', 90_000 + i);
    stale = await make('stale', 10, 'running', 50_000);
    gone = await make('gone', 20, 'stalled', 5_000);
    await make('quiet-stalled', 30, 'stalled', 60_000);
    neverSpoke = await make('never-spoke', 40, 'running', null);
    await make('finished', 50, 'completed', 1);
    await make('paused', 60, 'paused', 1);
  });

  it('finds only the live runs whose silence changes their status, through an index', async () => {
    const ids = (await store.silentRuns(80_000, 10_000)).map((r) => r.id).sort();
    expect(ids).toEqual([stale, gone, neverSpoke].sort());
    const plan = store.db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM runs WHERE status = 'running' AND COALESCE(last_event_at, created_at) <= 1`)
      .all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX runs_silence/);
  });

  it('lists runs newest first through an index on their creation time', async () => {
    const plan = store.db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM runs WHERE archived_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 10 OFFSET 0`)
      .all() as Array<{ detail: string }>;
    const detail = plan.map((p) => p.detail).join(' ');
    expect(detail).toMatch(/USING INDEX runs_created/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
    expect((await store.listRuns({ tag: [], archived: false, limit: 3, offset: 0 })).runs.map((r) => r.name)).toEqual(['recent-199', 'recent-198', 'recent-197']);
  });
});
