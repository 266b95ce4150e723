import { LRUCache } from 'lru-cache';
import { RunContext, type ContextLimits } from '../context/run-context.ts';
import { RunDiagnoser } from '../diagnose/engine.ts';
import type { Store } from '../store/store.ts';

/** What the service keeps in memory per run: its rolling context and its diagnoser. */
export interface RunState {
  ctx: RunContext;
  diagnoser: RunDiagnoser;
}

/**
 * Run states, rebuilt from the store on first use after a start (or after eviction), then kept
 * up to date event by event. An LRU bound keeps memory flat however many runs the store holds.
 */
export class RunStates {
  private readonly cache: LRUCache<string, RunState>;

  constructor(
    private readonly store: Store,
    private readonly limits: ContextLimits,
    maxRuns: number,
  ) {
    this.cache = new LRUCache({ max: maxRuns });
  }

  get(run: string): RunState {
    let state = this.cache.get(run);
    if (!state) {
      state = this.rebuild(run);
      this.cache.set(run, state);
    }
    return state;
  }

  /** Forgets a run so the next `get` rebuilds it from what was committed. */
  drop(run: string): void {
    this.cache.delete(run);
  }

  get size(): number {
    return this.cache.size;
  }

  private rebuild(run: string): RunState {
    const ctx = new RunContext(run, this.limits);
    const row = this.store.getRun(run);
    // Totals declared when the run was created (not by an event) still drive progress and ETA.
    ctx.totalEpochs = row?.total_epochs ?? null;
    ctx.totalSteps = row?.total_steps ?? null;
    // Seeded with the stored open findings, so re-detection during replay updates them in place.
    const diagnoser = new RunDiagnoser(run, this.store.findings(run, 'open'));
    for (const event of this.store.replay(run)) {
      const update = ctx.apply(event);
      if (update) diagnoser.evaluate(ctx, update);
    }
    return { ctx, diagnoser };
  }
}
