import type { StoredEvent } from '../domain/events.ts';

export type Listener = (event: StoredEvent) => void;

/**
 * In-process fan-out of committed events to streams. Publishing is synchronous and cheap: each
 * listener only queues into its own bounded buffer, so a slow consumer never slows ingest.
 */
export class EventBus {
  private readonly byRun = new Map<string, Set<Listener>>();
  private readonly all = new Set<Listener>();

  /** Listens to one run, or to every run with `'*'`; returns the unsubscribe function. */
  subscribe(run: string, listener: Listener): () => void {
    if (run === '*') {
      this.all.add(listener);
      return () => this.all.delete(listener);
    }
    let set = this.byRun.get(run);
    if (!set) this.byRun.set(run, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.byRun.delete(run);
    };
  }

  publish(events: StoredEvent[]): void {
    for (const event of events) {
      const set = this.byRun.get(event.run);
      if (set) for (const l of set) l(event);
      for (const l of this.all) l(event);
    }
  }

  get listeners(): number {
    let n = this.all.size;
    for (const set of this.byRun.values()) n += set.size;
    return n;
  }
}
