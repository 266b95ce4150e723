// One stream client's view of committed events: replay from a cursor, then live, bounded in memory.
import type { StoredEvent } from '../domain/events.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './bus.ts';

/** One run's events by `seq`, or every run's (optionally of one project) by the global `gid`. */
export type FeedScope = { run: string } | { project?: string };

export interface FeedOptions {
  /** Events with a cursor at or below this were already seen by the client. */
  after: number;
  /** Live events held for a client that has not taken them yet; beyond this it overflows. */
  maxBuffered: number;
  /** Events read from the store at a time while catching up. */
  page?: number;
  /** Only these event types (seed 4's per-type subscribers); all when absent. */
  types?: ReadonlySet<string>;
}

/** `deleted`: the run was deleted; the feed ends after what it already held. */
export type FeedItem = { events: StoredEvent[] } | { overflow: number } | { deleted: string };

/**
 * Resume without gap or duplicate: the feed subscribes to the bus before it reads the store, then
 * pages through the store until a read comes back short. While it is catching up it keeps only
 * the live events published during a read (events are published after their commit, so a read
 * sees everything published before it began), which keeps a long replay from filling the buffer;
 * from the short read on it queues live events and hands out only those past its cursor. A
 * project's feed filters live events by project as it hands them out. A client that lets more than
 * `maxBuffered` live events pile up gets an overflow marker with the cursor to resume from, and
 * the feed lets go of everything, so a slow consumer costs ingest nothing and holds bounded memory.
 */
export class EventFeed {
  private readonly perRun: string | undefined;
  private readonly project: string | undefined;
  private readonly page: number;
  private readonly maxBuffered: number;
  private readonly types: ReadonlySet<string> | undefined;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeEnd: () => void;
  private ended = false;
  private readonly projects = new Map<string, string | undefined>();
  private buffer: StoredEvent[] = [];
  private catchingUp = true;
  /** A read of the store is in flight: live events published meanwhile may be newer than its answer. */
  private reading = false;
  private overflowed = false;
  private closed = false;
  private wake: (() => void) | undefined;
  /** The last seq (per run) or gid (global) handed out. */
  cursor: number;

  constructor(
    private readonly store: Store,
    bus: EventBus,
    scope: FeedScope,
    opts: FeedOptions,
  ) {
    this.perRun = 'run' in scope ? scope.run : undefined;
    this.project = 'project' in scope ? scope.project : undefined;
    this.cursor = opts.after;
    this.page = opts.page ?? 1000;
    this.maxBuffered = opts.maxBuffered;
    this.types = opts.types;
    this.unsubscribe = bus.subscribe(this.perRun ?? '*', (e) => this.onLive(e));
    this.unsubscribeEnd =
      this.perRun === undefined
        ? () => {}
        : bus.onEnd(this.perRun, () => {
            this.ended = true;
            this.wake?.();
          });
  }

  /** The next events to send, waiting for live ones; an overflow marker ends the feed; null once closed. */
  async next(): Promise<FeedItem | null> {
    for (;;) {
      if (this.closed) return null;
      if (this.overflowed) {
        this.close();
        return { overflow: this.cursor };
      }
      if (this.catchingUp) {
        this.reading = true;
        let read: StoredEvent[];
        try {
          read = await this.read();
        } finally {
          this.reading = false;
        }
        if (this.closed) return null;
        // A full page: the next read returns what was published meanwhile.
        if (read.length < this.page) this.catchingUp = false;
        else this.buffer = [];
        if (!read.length) continue;
        // Past what was read even when none of it is wanted, or the next read would return it again.
        this.cursor = this.keyOf(read[read.length - 1]);
        const events = this.types ? read.filter((e) => this.types!.has(e.type)) : read;
        if (events.length) return { events };
        continue;
      }
      if (this.buffer.length) {
        const fresh = this.buffer.filter((e) => this.keyOf(e) > this.cursor);
        this.buffer = [];
        if (!fresh.length) continue;
        this.cursor = this.keyOf(fresh[fresh.length - 1]);
        const events = await this.ofProject(fresh);
        if (this.closed) return null;
        if (events.length) return { events };
        continue;
      }
      if (this.ended) {
        const run = this.perRun!;
        this.close();
        return { deleted: run };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Stops listening; a pending `next()` resolves to null. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.unsubscribe();
    this.unsubscribeEnd();
    this.wake?.();
  }

  keyOf(e: StoredEvent): number {
    return this.perRun === undefined ? e.gid : e.seq;
  }

  private read(): Promise<StoredEvent[]> {
    if (this.perRun !== undefined) return this.store.eventsAfter(this.perRun, this.cursor, this.page);
    return this.store.eventsAfterGlobal(this.cursor, this.page, this.project);
  }

  private onLive(e: StoredEvent): void {
    if (this.closed || this.overflowed) return;
    if (this.types && !this.types.has(e.type)) return;
    if (!this.catchingUp || this.reading) {
      if (this.buffer.length >= this.maxBuffered) {
        this.overflowed = true;
        this.buffer = [];
        this.unsubscribe();
      } else this.buffer.push(e);
    }
    this.wake?.();
  }

  private async ofProject(events: StoredEvent[]): Promise<StoredEvent[]> {
    if (this.project === undefined) return events;
    const out: StoredEvent[] = [];
    for (const e of events) if ((await this.projectOf(e.run)) === this.project) out.push(e);
    return out;
  }

  private async projectOf(run: string): Promise<string | undefined> {
    if (!this.projects.has(run)) this.projects.set(run, (await this.store.getRun(run))?.project);
    return this.projects.get(run);
  }
}
