import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateRunInput } from '../../src/domain/runs.ts';
import { EventBus } from '../../src/service/bus.ts';
import { EventFeed, type FeedItem } from '../../src/service/event-feed.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// The feed against a real store, with commits and publishes interleaved by hand at each step.
let dir: string;
let store: SqliteStore;
let bus: EventBus;
let run: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analyst-feed-'));
  store = new SqliteStore(join(dir, 'a.db'));
  bus = new EventBus();
  run = (await store.createRun(CreateRunInput.parse({ name: 'feed' }), 0)).id;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the service does: commit, then publish. */
async function commit(n: number, type: 'log' | 'metrics' = 'log'): Promise<void> {
  const bodies = Array.from({ length: n }, () =>
    type === 'log' ? { body: { type: 'log' as const, level: 'info' as const, message: 'x' }, ts: 0 } : { body: { type: 'metrics' as const, values: { loss: 1 } }, ts: 0 },
  );
  bus.publish((await store.appendEvents(run, bodies, 0)).stored);
}

const seqs = (item: FeedItem | null) => (item && 'events' in item ? item.events.map((e) => e.seq) : item);

describe('EventFeed', () => {
  it('replays in pages, ignores live events while catching up, then hands out live ones once', async () => {
    await commit(4);
    const feed = new EventFeed(store, bus, { run }, { after: 1, maxBuffered: 10, page: 2 });
    expect(seqs(await feed.next())).toEqual([2, 3]);
    // Committed while the client is still catching up: the store has them, the feed keeps none.
    await commit(2);
    expect(seqs(await feed.next())).toEqual([4, 5]);
    expect(seqs(await feed.next())).toEqual([6]);
    // The short read switched it to live: what comes now arrives through the bus.
    const waiting = feed.next();
    await commit(3);
    expect(seqs(await waiting)).toEqual([7, 8, 9]);
    feed.close();
    expect(await feed.next()).toBeNull();
    expect(bus.listeners).toBe(0);
  });

  it('overflows a client that leaves too much unread, with the cursor of what it got, and lets go', async () => {
    await commit(1);
    const feed = new EventFeed(store, bus, { run }, { after: 0, maxBuffered: 3, page: 10 });
    expect(seqs(await feed.next())).toEqual([1]);
    await commit(2);
    await commit(2);
    expect(bus.listeners).toBe(0);
    expect(await feed.next()).toEqual({ overflow: 1 });
    expect(await feed.next()).toBeNull();
  });

  it('keeps only the wanted types, and moves its cursor past pages with none of them', async () => {
    await commit(5, 'metrics');
    await commit(1);
    const feed = new EventFeed(store, bus, { run }, { after: 0, maxBuffered: 10, page: 2, types: new Set(['log']) });
    expect(seqs(await feed.next())).toEqual([6]);
    const waiting = feed.next();
    await commit(2, 'metrics');
    await commit(1);
    expect(seqs(await waiting)).toEqual([9]);
    feed.close();
  });

  it('follows every run of one project by global id', async () => {
    const other = (await store.createRun(CreateRunInput.parse({ name: 'elsewhere', project: 'other' }), 0)).id;
    await commit(1);
    const feed = new EventFeed(store, bus, { project: 'default' }, { after: await store.lastGid(), maxBuffered: 10 });
    const pending = feed.next();
    expect(await Promise.race([pending, new Promise((r) => setTimeout(() => r('nothing yet'), 20))])).toBe('nothing yet');
    bus.publish((await store.appendEvents(other, [{ body: { type: 'log', level: 'info', message: 'x' }, ts: 0 }], 0)).stored);
    await commit(1);
    const item = await pending;
    expect(item && 'events' in item && item.events.map((e) => [e.run, e.gid])).toEqual([[run, 3]]);
    feed.close();
  });
});
