import { AsyncLocalStorage } from 'node:async_hooks';
import { storageUnavailable } from '../store/faults.ts';

/**
 * What a group is written in: a transaction that nests (an inner call is a savepoint of the outer
 * one). A group's transaction is opened with `batches`: it holds independent pieces, at most one
 * per key, which a store may write off the event loop (see SqliteConnection); it calls
 * `committed`, if it can, as soon as it committed, before the flush to disk.
 */
export interface Transactional {
  transaction<T>(fn: () => Promise<T>, opts?: { batches?: boolean; committed?: () => void }): Promise<T>;
}

interface Job<T> {
  key: string;
  /** performance.now() when it was queued. */
  queued: number;
  work: () => Promise<T>;
  committed: (result: T) => void;
  resolve: (result: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Pieces per group. A group is written in one turn of the event loop: more pieces would hold
 * every other request (and the acceptance of new connections, one per turn) for longer, and
 * more gain little, the commit's flush being shared anyway.
 */
export const MAX_GROUP_PIECES = 32;

/**
 * Where pieces are written on this thread (SQLite), a group's writing is one turn of the event
 * loop, and past its first MIN_GROUP_PIECES no piece is begun once it has taken this long: the rest
 * go first into the next group.
 * Node accepts one new connection per turn, so long turns leave a burst of trainers connecting
 * waiting for seconds; and the event-loop delay every request sees is the length of a turn.
 */
export const MAX_GROUP_TURN_MS = 8;

/** Pieces a group takes whatever they cost: a commit and its flush cost as much for one piece as for a few. */
export const MIN_GROUP_PIECES = 4;

export interface GroupCommitOptions {
  /** The time limit of a group's writing (MAX_GROUP_TURN_MS), for stores that write on this thread; none where writes wait on the network. */
  turnBudgetMs?: number;
  /** Told how many pieces each committed group held. */
  observe?: (pieces: number) => void;
}

/**
 * Group commit: work queued while the previous group is written runs in one transaction (one
 * fsync), each piece in a savepoint of its own, so a piece that fails is rolled back alone and
 * the others still commit. Pieces are written one after another in the order queued. Every
 * piece is settled only after the commit, in the order queued; `committed` runs right after it.
 *
 * One group is written at a time, in a turn of its own: the next one starts once the pieces of
 * this one are written, so it is written while this one commits and waits for the disk.
 */
export class GroupCommit {
  private queue: Array<Job<unknown>> = [];
  /** A group's pieces are being written. */
  private writing = false;
  private scheduled = false;
  /** The keys of pieces being written or committed: their next pieces wait for that commit (see take). */
  private readonly uncommitted = new Set<string>();
  /**
   * Runs a function in the asynchronous context this group commit was made in, outside every
   * transaction. A group is scheduled from inside the call that queued a piece, or from inside the
   * last group's transaction as it ends: written in that context, it would join the last group's
   * transaction (still open until its commit is flushed) instead of opening its own, and stage its
   * events into a transaction that ends before they are written.
   */
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(
    private readonly tx: Transactional,
    /** Called with the key of work that was rolled back, so what it changed in memory is forgotten. */
    private readonly rolledBack: (key: string) => void,
    private readonly opts: GroupCommitOptions = {},
  ) {}

  run<T>(key: string, work: () => Promise<T>, committed: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ key, work, committed, resolve, reject, queued: performance.now() } as Job<unknown>);
      this.schedule();
    });
  }

  /** How long the oldest piece not yet being written has waited, in ms: 0 when none waits. */
  waitMs(now = performance.now()): number {
    return this.queue.length ? now - this.queue[0].queued : 0;
  }

  /** The next group, in a later turn of the event loop, unless one is being written or already coming. */
  private schedule(): void {
    if (this.writing || this.scheduled || !this.queue.length) return;
    this.scheduled = true;
    setImmediate(() => this.detached(() => {
      this.scheduled = false;
      const jobs = this.take();
      // Every waiting piece's key is in a group not yet committed: that commit schedules again.
      if (jobs.length) void this.flush(jobs);
    }));
  }

  /**
   * The next group's pieces, in the order queued: at most MAX_GROUP_PIECES, one per key, and none
   * of a key whose earlier piece is not committed yet. A key's later pieces wait for a later group
   * (still in their order), so no piece reads what another wrote and did not commit: each reads
   * what is committed, and a store may write a group while the next one is planned.
   */
  private take(): Array<Job<unknown>> {
    const keys = new Set<string>();
    const taken: Array<Job<unknown>> = [];
    const left: Array<Job<unknown>> = [];
    let i = 0;
    for (; i < this.queue.length && taken.length < MAX_GROUP_PIECES; i++) {
      const job = this.queue[i];
      if (keys.has(job.key) || this.uncommitted.has(job.key)) left.push(job);
      else {
        keys.add(job.key);
        taken.push(job);
      }
    }
    this.queue.splice(0, i, ...left);
    for (const key of keys) this.uncommitted.add(key);
    return taken;
  }

  private async flush(jobs: Array<Job<unknown>>): Promise<void> {
    this.writing = true;
    // Once per group: by the time its commit fails, the next group may be being written.
    let ended = false;
    const written = () => {
      if (ended) return;
      ended = true;
      this.writing = false;
      this.schedule();
    };
    let released = false;
    const committed = () => {
      if (released) return;
      released = true;
      for (const job of jobs) this.uncommitted.delete(job.key);
      this.schedule();
    };
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      await this.tx.transaction(async () => {
        try {
          const began = performance.now();
          const budget = this.opts.turnBudgetMs;
          for (let i = 0; i < jobs.length; i++) {
            if (i >= MIN_GROUP_PIECES && budget !== undefined && performance.now() - began >= budget) {
              const later = jobs.splice(i);
              for (const job of later) this.uncommitted.delete(job.key);
              this.queue.unshift(...later);
              break;
            }
            const job = jobs[i];
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
        } finally {
          written();
        }
      }, { batches: true, committed });
    } catch (err) {
      written();
      committed();
      // The commit itself failed: nothing of the group is stored.
      for (const job of jobs) {
        this.rolledBack(job.key);
        job.reject(err);
      }
      return;
    }
    committed();
    this.opts.observe?.(jobs.length);
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) return job.reject(outcome.err);
      job.committed(outcome.value);
      job.resolve(outcome.value);
    });
  }
}
