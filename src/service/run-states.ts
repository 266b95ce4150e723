import { LRUCache } from 'lru-cache';
import { RunContext, type ContextLimits } from '../context/run-context.ts';
import { RunDiagnoser } from '../diagnose/engine.ts';
import type { Store } from '../store/store.ts';
import { classesOf, decode, encode, shapeOf } from './state-codec.ts';
import { LoopBudget } from '../domain/loop-budget.ts';

/** What the service keeps in memory per run: its rolling context and its diagnoser. */
export interface RunState {
  ctx: RunContext;
  diagnoser: RunDiagnoser;
  /** The last event the run's stored snapshot includes (0: none). */
  snapshotSeq: number;
}

export interface RunStatesOptions {
  /** A snapshot is written once this many events were applied since the last one. */
  snapshotEvery: number;
  /** Told how many events each rebuild read: the tail after a snapshot, or the whole run. */
  onRebuild?: (events: number, fromSnapshot: boolean) => void;
}

/**
 * The code's shape and classes, learnt from a context and diagnoser fed one update of the common
 * metrics, so that the classes created on first use (series, windows) are known too.
 */
function codeOf(limits: ContextLimits) {
  const ctx = new RunContext('shape', limits);
  const diagnoser = new RunDiagnoser('shape', [], { now: () => 0 });
  const values = { loss: 1, val_loss: 1, acc: 0.5, val_acc: 0.5, lr: 0.1, grad_norm: 1, weight_norm: 1, epoch_time: 1 };
  const update = ctx.apply({ type: 'metrics', step: 1, epoch: 1, values, ts: 0, seq: 1 });
  if (update) diagnoser.evaluate(ctx, update);
  const roots = [ctx, diagnoser];
  return { shape: `${shapeOf(roots)}:${limits.window}:${limits.maxMetrics}:${limits.recentEvents}`, classes: classesOf(roots) };
}

/**
 * Run states, kept up to date event by event, and brought back after a start or an eviction
 * from the run's latest snapshot plus the events after it, or by replaying the run when it has
 * no snapshot this code can read. Snapshots are written every `snapshotEvery` events (in the
 * batch's transaction), when a run is evicted, and at shutdown. An LRU bound keeps memory flat
 * however many runs the store holds.
 */
export class RunStates {
  private readonly cache: LRUCache<string, RunState>;
  /** Runs being brought back: callers that ask meanwhile share the one rebuild. */
  private readonly loading = new Map<string, Promise<RunState>>();
  private readonly code;

  constructor(
    private readonly store: Store,
    private readonly limits: ContextLimits,
    maxRuns: number,
    private readonly opts: RunStatesOptions = { snapshotEvery: 5000 },
  ) {
    this.code = codeOf(limits);
    this.cache = new LRUCache({
      max: maxRuns,
      dispose: (state, run, reason) => {
        // A snapshot that fails to be written only makes the run's next rebuild longer.
        if (reason === 'evict') this.checkpoint(run, state, Date.now(), true).catch(() => {});
      },
    });
  }

  get(run: string): Promise<RunState> {
    const state = this.cache.get(run);
    if (state) return Promise.resolve(state);
    let loading = this.loading.get(run);
    if (!loading) {
      const settle = () => {
        // A run dropped while it was read (a rollback) is not cached: what was read may be what was rolled back.
        const current = this.loading.get(run) === loading;
        if (current) this.loading.delete(run);
        return current;
      };
      loading = this.rebuild(run).then(
        (rebuilt) => {
          if (settle()) this.cache.set(run, rebuilt);
          return rebuilt;
        },
        (err) => {
          settle();
          throw err;
        },
      );
      this.loading.set(run, loading);
    }
    return loading;
  }

  /**
   * The run's state as of `lastSeq`, the last event the store holds for it (read under the
   * transaction's write lock). Another replica may have written the run since this one last did:
   * its state is then rebuilt from the store as after a restart, with the findings that replica
   * saved adopted, so findings are the same whichever replica took which batch.
   */
  async current(run: string, lastSeq: number): Promise<RunState> {
    const state = await this.get(run);
    if (state.ctx.lastSeq >= lastSeq) return state;
    this.drop(run);
    return this.get(run);
  }

  private async rebuild(run: string): Promise<RunState> {
    return (await this.restore(run)) ?? (await this.replay(run));
  }

  /** Forgets a run so the next `get` rebuilds it from what was committed. */
  drop(run: string): void {
    this.cache.delete(run);
    this.loading.delete(run);
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Writes the run's snapshot when enough events came since the last (or always, when `force`);
   * called inside the transaction that stored those events, so the snapshot never runs ahead of them.
   */
  async checkpoint(run: string, state: RunState, now: number, force = false): Promise<void> {
    const seq = state.ctx.lastSeq;
    if (seq === state.snapshotSeq || (!force && seq - state.snapshotSeq < this.opts.snapshotEvery)) return;
    let text: string;
    try {
      text = encode([state.ctx, state.diagnoser]);
    } catch {
      // A state the codec cannot write (a value it does not know) is replayed when it comes back: slower, never wrong.
      return;
    }
    await this.store.snapshots.save(run, { seq, shape: this.code.shape, state: text }, now);
    state.snapshotSeq = seq;
  }

  /** Snapshots every run in memory with events since its last snapshot: at shutdown. */
  checkpointAll(now: number): Promise<void> {
    return this.store.transaction(async () => {
      for (const [run, state] of this.cache.entries()) await this.checkpoint(run, state, now, true);
    });
  }

  private async restore(run: string): Promise<RunState | undefined> {
    const snapshot = await this.store.snapshots.get(run);
    if (!snapshot || snapshot.shape !== this.code.shape) return undefined;
    const ctx = new RunContext(run, this.limits);
    const diagnoser = new RunDiagnoser(run);
    try {
      decode(snapshot.state, [ctx, diagnoser], this.code.classes);
    } catch {
      // An unreadable snapshot is no loss: the events are the record, and replaying them gives the state.
      return undefined;
    }
    // Findings raised after the snapshot are in the store: the tail re-detects them in place.
    diagnoser.adopt(await this.store.findings(run, 'open'));
    const state = { ctx, diagnoser, snapshotSeq: snapshot.seq };
    this.opts.onRebuild?.(await this.fold(state, snapshot.seq), true);
    return state;
  }

  private async replay(run: string): Promise<RunState> {
    const ctx = new RunContext(run, this.limits);
    const row = await this.store.getRun(run);
    // Totals declared when the run was created (not by an event) still drive progress and ETA.
    ctx.totalEpochs = row?.total_epochs ?? null;
    ctx.totalSteps = row?.total_steps ?? null;
    // Seeded with the stored open findings, so re-detection during replay updates them in place.
    const state = { ctx, diagnoser: new RunDiagnoser(run, await this.store.findings(run, 'open')), snapshotSeq: 0 };
    this.opts.onRebuild?.(await this.fold(state, 0), false);
    return state;
  }

  /** Applies the run's events after `afterSeq`; returns how many there were. */
  private async fold({ ctx, diagnoser }: RunState, afterSeq: number): Promise<number> {
    let n = 0;
    const budget = new LoopBudget();
    for await (const event of this.store.replay(ctx.run, afterSeq)) {
      const update = ctx.apply(event);
      if (update) diagnoser.evaluate(ctx, update);
      // A look at the clock every 64 events: an await per event costs a replay of millions a tenth more.
      if ((++n & 63) === 0) await budget.tick();
    }
    return n;
  }
}
