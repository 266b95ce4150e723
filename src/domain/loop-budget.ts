// Long loops on the service's only thread (a search over every run, a replay of a run's history)
// must let other requests in: an awaited store call that answers from memory resolves as a
// microtask and gives the event loop no turn, so a loop of them holds every other request up.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a slice of work may hold the loop: well under the 50 ms a request may wait for it. */
const SLICE_MS = 10;

/** Gives the event loop a turn whenever the work since the last turn has run for a slice. */
export class LoopBudget {
  private since = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  async tick(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
