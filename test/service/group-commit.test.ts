import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run } from '../../src/domain/runs.ts';
import { GroupCommit, MAX_GROUP_PIECES, MIN_GROUP_PIECES } from '../../src/service/group-commit.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { openReader } from '../helpers/test-db.ts';

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
    // Each batch looks its run up before it joins a group; on PostgreSQL those answers come back
    // over the network, each in its own turn. Holding them until all three are in and the second
    // run is deleted, then letting them go in one turn, puts the three batches in one group whose
    // second piece finds its run gone, on either engine.
    const resolveRun = service.store.resolveRun.bind(service.store);
    const lookups: Array<Promise<Run | undefined>> = [];
    let allAsked!: () => void;
    const asked = new Promise<void>((resolve) => (allAsked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = vi.spyOn(service.store, 'resolveRun').mockImplementation(async (ref) => {
      const lookup = resolveRun(ref);
      lookups.push(lookup);
      if (lookups.length === 3) allAsked();
      await released;
      return lookup;
    });
    const pa = service.ingestGrouped(a, metrics(5));
    const pb = service.ingestGrouped(b, metrics(5));
    const pc = service.ingestGrouped(c, metrics(7));
    await asked;
    await Promise.all(lookups);
    await service.deleteRun(b);
    expect(published).toEqual([]);
    release();
    const [ra, rb, rc] = await Promise.allSettled([pa, pb, pc]);
    held.mockRestore();
    unsubscribe();
    expect(ra).toMatchObject({ status: 'fulfilled', value: { accepted: 5, last_seq: 5 } });
    expect(rb).toMatchObject({ status: 'rejected', reason: { code: 'gone' } });
    expect(rc).toMatchObject({ status: 'fulfilled', value: { accepted: 7, last_seq: 7 } });
    // Committed when acknowledged: another connection to the database sees both batches, and nothing of the failed one.
    const other = await openReader(s.db);
    const stored = (await other.query<{ run: string; n: number | string }>('SELECT run, COUNT(*) AS n FROM events WHERE run IN ($1, $2, $3) GROUP BY run', [a, b, c]))
      .map(({ run, n }) => ({ run, n: Number(n) }))
      .sort((x, y) => x.run.localeCompare(y.run));
    await other.close();
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

/** A transaction that only notes, in `log`, where groups begin and commit. */
function recordingTransaction(): { log: string[]; tx: { transaction<T>(fn: () => Promise<T>): Promise<T> } } {
  const log: string[] = [];
  let depth = 0;
  const tx = {
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      const outer = depth++ === 0;
      if (outer) log.push('begin');
      try {
        return await fn();
      } finally {
        depth--;
        if (outer) log.push('commit');
      }
    },
  };
  return { log, tx };
}

describe('group commit under many batches', () => {
  it('writes one group at a time, of at most 32 batches, each acknowledged after its own commit', async () => {
    const { log, tx } = recordingTransaction();
    const sizes: number[] = [];
    const group = new GroupCommit(tx, () => {}, { observe: (pieces) => sizes.push(pieces) });
    const acks = Array.from({ length: 70 }, (_, i) =>
      group.run(`run-${i}`, async () => {
        log.push(`write ${i}`);
        return i;
      }, () => log.push(`ack ${i}`)),
    );
    expect(await Promise.all(acks)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(sizes).toEqual([MAX_GROUP_PIECES, MAX_GROUP_PIECES, 70 - 2 * MAX_GROUP_PIECES]);
    expect(MAX_GROUP_PIECES).toBe(32);
    const range = (from: number, to: number, what: string) => Array.from({ length: to - from }, (_, i) => `${what} ${from + i}`);
    expect(log).toEqual([
      ...['begin', ...range(0, 32, 'write'), 'commit', ...range(0, 32, 'ack')],
      ...['begin', ...range(32, 64, 'write'), 'commit', ...range(32, 64, 'ack')],
      ...['begin', ...range(64, 70, 'write'), 'commit', ...range(64, 70, 'ack')],
    ]);
  });

  it("takes one piece per key in a group, and a key's next piece only once the group before it committed", async () => {
    const { log, tx } = recordingTransaction();
    const group = new GroupCommit(tx, () => {});
    const pieces = ['a1', 'b1', 'a2', 'a3', 'c1', 'b2'];
    const acks = pieces.map((name) =>
      group.run(name[0], async () => {
        log.push(`write ${name}`);
        return name;
      }, () => log.push(`ack ${name}`)),
    );
    expect(await Promise.all(acks)).toEqual(pieces);
    const groupOf = (...names: string[]) => ['begin', ...names.map((n) => `write ${n}`), 'commit', ...names.map((n) => `ack ${n}`)];
    expect(log).toEqual([...groupOf('a1', 'b1', 'c1'), ...groupOf('a2', 'b2'), ...groupOf('a3')]);
  });

  it('begins no piece once the group has taken its time, and writes the rest first in the next group', async () => {
    const { log, tx } = recordingTransaction();
    const sizes: number[] = [];
    // No time at all: each group takes its first few pieces only, however many wait.
    const group = new GroupCommit(tx, () => {}, { turnBudgetMs: 0, observe: (pieces) => sizes.push(pieces) });
    const acks = Array.from({ length: 2 * MIN_GROUP_PIECES + 1 }, (_, i) =>
      group.run(`run-${i}`, async () => {
        log.push(`write ${i}`);
        return i;
      }, () => log.push(`ack ${i}`)),
    );
    const n = 2 * MIN_GROUP_PIECES + 1;
    expect(await Promise.all(acks)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(sizes).toEqual([MIN_GROUP_PIECES, MIN_GROUP_PIECES, 1]);
    const range = (from: number, to: number, what: string) => Array.from({ length: to - from }, (_, i) => `${what} ${from + i}`);
    const groupOf = (from: number, to: number) => ['begin', ...range(from, to, 'write'), 'commit', ...range(from, to, 'ack')];
    expect(log).toEqual([...groupOf(0, MIN_GROUP_PIECES), ...groupOf(MIN_GROUP_PIECES, 2 * MIN_GROUP_PIECES), ...groupOf(2 * MIN_GROUP_PIECES, n)]);
  });

  it('opens each group in a context of its own, never inside the transaction of the group that scheduled it', async () => {
    // A transaction known from the asynchronous context, as the service's and the store's are: a
    // group opened where the last one's context leaked would find that one still open (it ends
    // only once its commit is flushed) and join it.
    const open = new AsyncLocalStorage<{ id: number; ended: boolean }>();
    let groups = 0;
    const joined: number[] = [];
    const tx = {
      async transaction<T>(fn: () => Promise<T>): Promise<T> {
        const outer = open.getStore();
        if (outer && !outer.ended) {
          joined.push(outer.id);
          return fn();
        }
        const mine = { id: ++groups, ended: false };
        const value = await open.run(mine, fn);
        // The commit's flush to disk: the transaction stays open a little after its pieces.
        await new Promise((resolve) => setTimeout(resolve, 1));
        mine.ended = true;
        return value;
      },
    };
    const group = new GroupCommit(tx, () => {});
    let second: Promise<string> | undefined;
    // A piece queued from inside the first group's transaction, while it writes: the next group.
    const first = group.run('a', async () => {
      second = group.run('b', async () => 'b1', () => {});
      return 'a1';
    }, () => {});
    expect(await first).toBe('a1');
    expect(await second).toBe('b1');
    // Each piece ran in its own group's transaction: two groups, neither joined the other.
    expect(groups).toBe(2);
    expect(joined).toEqual([1, 2]);
  });
});
