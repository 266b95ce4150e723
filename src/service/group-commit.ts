import type { Store } from '../store/store.ts';

interface Job<T> {
  key: string;
  work: () => T;
  committed: (result: T) => void;
  resolve: (result: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: work queued in the same turn of the event loop runs in one transaction (one
 * fsync), each piece in a savepoint of its own, so a piece that fails is rolled back alone and
 * the others still commit. Every piece is settled only after the commit, in the order queued;
 * `committed` runs synchronously right after it, before any other request is served.
 */
export class GroupCommit {
  private queue: Array<Job<unknown>> = [];

  constructor(
    private readonly store: Store,
    /** Called with the key of work that was rolled back, so what it changed in memory is forgotten. */
    private readonly rolledBack: (key: string) => void,
    private readonly observe: (pieces: number) => void = () => {},
  ) {}

  run<T>(key: string, work: () => T, committed: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.queue.length) setImmediate(() => this.flush());
      this.queue.push({ key, work, committed, resolve, reject } as Job<unknown>);
    });
  }

  private flush(): void {
    const jobs = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.store.transaction(() => {
        for (const job of jobs) {
          try {
            outcomes.push({ ok: true, value: this.store.transaction(job.work) });
          } catch (err) {
            this.rolledBack(job.key);
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      // The commit itself failed: nothing of the group is stored.
      for (const job of jobs) {
        this.rolledBack(job.key);
        job.reject(err);
      }
      return;
    }
    this.observe(jobs.length);
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) return job.reject(outcome.err);
      job.committed(outcome.value);
      job.resolve(outcome.value);
    });
  }
}
