import { Mutex } from 'async-mutex';

/**
 * One lock per run: work on a run's in-memory state (its context and diagnoser) that awaits the
 * store in the middle runs alone, so two batches of one run never interleave their updates.
 * A run's lock is kept only while someone holds or waits for it.
 */
export class RunLocks {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();

  async run<T>(run: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(run);
    if (!lock) this.locks.set(run, (lock = { mutex: new Mutex(), users: 0 }));
    lock.users++;
    try {
      return await lock.mutex.runExclusive(fn);
    } finally {
      if (--lock.users === 0) this.locks.delete(run);
    }
  }
}
