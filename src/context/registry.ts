import type { StoredEvent } from '../domain/events.ts';
import { DEFAULT_LIMITS, RunContext, type ContextLimits } from './run-context.ts';

/** Replays a run's stored events, oldest first; the registry uses it to rebuild a context. */
export type EventReplay = (run: string) => Iterable<StoredEvent>;

/**
 * The rolling contexts of all runs, built lazily: a run's context is folded from the store the
 * first time it is needed after a start, then kept up to date event by event.
 */
export class ContextRegistry {
  private readonly contexts = new Map<string, RunContext>();

  constructor(
    private readonly replay: EventReplay,
    readonly limits: ContextLimits = DEFAULT_LIMITS,
  ) {}

  get(run: string): RunContext {
    let ctx = this.contexts.get(run);
    if (!ctx) {
      ctx = new RunContext(run, this.limits);
      for (const event of this.replay(run)) ctx.apply(event);
      this.contexts.set(run, ctx);
    }
    return ctx;
  }

  has(run: string): boolean {
    return this.contexts.has(run);
  }

  /** Forgets a run's context so the next `get` rebuilds it from the store (after a failed write). */
  drop(run: string): void {
    this.contexts.delete(run);
  }

  get size(): number {
    return this.contexts.size;
  }
}
