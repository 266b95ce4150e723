import { Mutex } from 'async-mutex';
import type { StoredEvent } from '../domain/events.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './bus.ts';

/** Events read from the store at a time while publishing. */
const PAGE = 1000;

/**
 * Publishes on this replica's bus every event committed on the database, by whichever replica
 * wrote it, in global (`gid`) order, each once. Writing transactions take the store's write lock
 * before they number events and hold it until they commit, so gids are in commit order: reading
 * past the last gid published never passes an event that commits later. Called after each local
 * commit and on each commit heard from the database; the calls take turns, and one that finds
 * nothing new costs one read.
 */
export class Relay {
  private readonly turns = new Mutex();
  /** The last gid published; events committed before this replica started are read by streams from the store. */
  private last: Promise<number>;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {
    this.last = this.start();
  }

  /** Where publishing starts; a failed read (the database away at start) is tried again by the next call. */
  private start(): Promise<number> {
    const last = this.store.lastGid();
    last.catch(() => (this.last = this.start()));
    return last;
  }

  /**
   * `committed`: what this replica's own commit stored, in gid order. When it follows the last
   * gid published with no gap, nothing else committed in between: it is published as written,
   * without reading it back. Otherwise the store is read.
   */
  catchUp(committed: StoredEvent[] = []): Promise<void> {
    return this.turns.runExclusive(async () => {
      let after = await this.last;
      if (committed.length && committed.every((e, i) => e.gid === after + 1 + i)) {
        this.last = Promise.resolve(after + committed.length);
        this.bus.publish(committed);
        return;
      }
      for (;;) {
        const events = await this.store.eventsAfterGlobal(after, PAGE);
        if (!events.length) break;
        after = events[events.length - 1].gid;
        this.last = Promise.resolve(after);
        this.bus.publish(events);
        if (events.length < PAGE) break;
      }
    });
  }
}
