import type { StoredEvent } from '../domain/events.ts';

export type Listener = (event: StoredEvent) => void;

/**
 * In-process fan-out of committed events to streams. Publishing is synchronous and cheap: each
 * listener only queues into its own bounded buffer, so a slow consumer never slows ingest.
 */
export class EventBus {
  private readonly byRun = new Map<string, Set<Listener>>();
  private readonly all = new Set<Listener>();
  private readonly endings = new Map<string, Set<() => void>>();

  /** Listens to one run, or to every run with `'*'`; returns the unsubscribe function. */
  subscribe(run: string, listener: Listener): () => void {
    if (run === '*') {
      this.all.add(listener);
      return () => this.all.delete(listener);
    }
    return addKeyed(this.byRun, run, listener);
  }

  /** Called once when the run ends for good (it was deleted); returns the unsubscribe function. */
  onEnd(run: string, listener: () => void): () => void {
    return addKeyed(this.endings, run, listener);
  }

  end(run: string): void {
    const set = this.endings.get(run);
    this.endings.delete(run);
    for (const l of set ?? []) l();
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

/** Adds a listener to a key's set; the returned function removes it, and the set once empty. */
function addKeyed<T>(sets: Map<string, Set<T>>, key: string, listener: T): () => void {
  let set = sets.get(key);
  if (!set) sets.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (!set.size) sets.delete(key);
  };
}
