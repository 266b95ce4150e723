import type { LeaseStore } from '../leases.ts';

/** One process holds a SQLite store, so whoever asks for a lease is its only holder. */
export class SqliteLeases implements LeaseStore {
  async acquire(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}
}
