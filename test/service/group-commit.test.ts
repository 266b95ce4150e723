import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'metrics' as const, step: i, values: { loss: 1 / (i + 1) } }));

async function histogram(): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^analyst_group_commit_batches_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: read('count'), sum: read('sum') };
}

describe('group commit', () => {
  it('writes batches that arrive together in one transaction, acknowledges each after the commit, and rolls back a failing one alone', async () => {
    const service = s.service;
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (name) => (await service.createRun({ name, project: 'group', config: {}, meta: {}, tags: {} })).run.id));
    const before = await histogram();
    const published: string[] = [];
    const unsubscribe = service.bus.subscribe('*', (e) => published.push(e.run));
    // Three batches in one turn; the second one's run is deleted before the group is written.
    const pa = service.ingestGrouped(a, metrics(5));
    const pb = service.ingestGrouped(b, metrics(5));
    const pc = service.ingestGrouped(c, metrics(7));
    const deleted = service.deleteRun(b);
    expect(published).toEqual([]);
    await deleted;
    const [ra, rb, rc] = await Promise.allSettled([pa, pb, pc]);
    unsubscribe();
    expect(ra).toMatchObject({ status: 'fulfilled', value: { accepted: 5, last_seq: 5 } });
    expect(rb).toMatchObject({ status: 'rejected', reason: { code: 'gone' } });
    expect(rc).toMatchObject({ status: 'fulfilled', value: { accepted: 7, last_seq: 7 } });
    // Committed when acknowledged: another connection to the file sees both batches, and nothing of the failed one.
    const other = new Database(s.db, { readonly: true });
    const stored = other.prepare('SELECT run, COUNT(*) AS n FROM events WHERE run IN (?, ?, ?) GROUP BY run ORDER BY run').all(a, b, c);
    other.close();
    expect(stored).toEqual([
      { run: a, n: 5 },
      { run: c, n: 7 },
    ].sort((x, y) => x.run.localeCompare(y.run)));
    expect(published.filter((r) => r === a)).toHaveLength(5);
    expect(published.filter((r) => r === c)).toHaveLength(7);
    const after = await histogram();
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBe(3);
  });

  it('groups concurrent REST batches without mixing their answers', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => api(s.url, '/runs', { method: 'POST', json: { name: `rest-${i}`, project: 'group' } })));
    const answers = await Promise.all(runs.map((r, i) => api(s.url, `/runs/${r.body.id}/events`, { method: 'POST', json: metrics(i + 1) })));
    expect(answers.map((r) => [r.status, r.body.accepted, r.body.last_seq])).toEqual(runs.map((_, i) => [200, i + 1, i + 1]));
    const bad = await api(s.url, `/runs/${runs[0].body.id}/events`, { method: 'POST', json: [{ type: 'metrics', values: { loss: 'x' } }] });
    expect(bad.status).toBe(400);
    expect((await api(s.url, `/runs/${runs[0].body.id}`)).body.last_seq).toBe(1);
  });
});
