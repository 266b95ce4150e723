// Per-run limit on automatic analyses: findings arrive in bursts, one analysis per interval is enough.
import { LRUCache } from 'lru-cache';

export class RefreshLimiter<V extends object> {
  private readonly last: LRUCache<string, { at: number; value: V }>;

  constructor(
    readonly intervalMs: number,
    maxRuns = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.last = new LRUCache({ max: maxRuns });
  }

  /** The previous automatic result while the run is within its interval, else undefined (go ahead). */
  recent(run: string): V | undefined {
    const hit = this.last.get(run);
    return hit && this.now() - hit.at < this.intervalMs ? hit.value : undefined;
  }

  record(run: string, value: V): void {
    this.last.set(run, { at: this.now(), value });
  }
}
