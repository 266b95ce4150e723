// Leases that let one replica of a deployment run what must run once (the stall watcher).

/** A lease is renewed this many times in its length, so one slow renewal does not lose it. */
export const RENEWALS_PER_LEASE = 3;

export interface LeaseStore {
  /**
   * Takes or renews the lease `name` for `holder` until `now + ttlMs`; true when the holder has it.
   * Another holder gets it only once the lease has run out (its holder stopped renewing: it died).
   */
  acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Lets go of the lease, if `holder` has it, so another takes it without waiting for the end. */
  release(name: string, holder: string): Promise<void>;
}
