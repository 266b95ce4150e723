import { storageUnavailable } from '../store/faults.ts';

/** What a group is written in: a transaction that nests (an inner call is a savepoint of the outer one). */
export interface Transactional {
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

interface Job<T> {
  key: string;
  work: () => Promise<T>;
  committed: (result: T) => void;
  resolve: (result: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: work queued in the same turn of the event loop runs in one transaction (one
 * fsync), each piece in a savepoint of its own, so a piece that fails is rolled back alone and
 * the others still commit. Pieces are written one after another in the order queued. Every
 * piece is settled only after the commit, in the order queued; `committed` runs right after it.
 */
export class GroupCommit {
  private queue: Array<Job<unknown>> = [];

  constructor(
    private readonly tx: Transactional,
    /** Called with the key of work that was rolled back, so what it changed in memory is forgotten. */
    private readonly rolledBack: (key: string) => void,
    private readonly observe: (pieces: number) => void = () => {},
  ) {}

  run<T>(key: string, work: () => Promise<T>, committed: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.queue.length) setImmediate(() => void this.flush());
      this.queue.push({ key, work, committed, resolve, reject } as Job<unknown>);
    });
  }

  private async flush(): Promise<void> {
    const jobs = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      await this.tx.transaction(async () => {
        for (const job of jobs) {
          try {
            outcomes.push({ ok: true, value: await this.tx.transaction(job.work) });
          } catch (err) {
            this.rolledBack(job.key);
            // A full disk, a lock, an I/O error: SQLite may have rolled back the whole group
            // already, and the pieces after it would run outside any transaction. The group ends
            // here, every piece refused with that reason.
            if (storageUnavailable(err)) throw err;
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
