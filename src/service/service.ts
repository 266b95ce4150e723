import { normaliseValue, seriesCanonical } from '../domain/aliases.ts';
import type { RunsComparison } from '../domain/analysis.ts';
import { AnalystError } from '../domain/errors.ts';
import type { EventInput, ServiceEventBody, StoredEvent } from '../domain/events.ts';
import { metricPlace, type MetricPlace } from '../domain/metric-groups.ts';
import { asOfNow, type Finding, type FindingChange } from '../domain/findings.ts';
import { mergeReports, type ReadReport, type ReadSource } from '../domain/read-report.ts';
import { candidateOf, runStartedChanges, type CreateRunBody, type Run, type RunCandidate, type RunChanges, type RunListQuery } from '../domain/runs.ts';
import type { ContextLimits } from '../context/run-context.ts';
import { analyzeRun, pairComparison } from '../diagnose/analysis.ts';
import { compareSeveral } from '../diagnose/comparison.ts';
import type { SeriesPoint } from '../store/series.ts';
import type { NewEvent, RunPatch, Store } from '../store/store.ts';
import { EventBus } from './bus.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { GroupCommit, MAX_GROUP_TURN_MS } from './group-commit.ts';
import { overloadRefusal } from './overload.ts';
import { RunLocks } from './run-locks.ts';
import { createOrResume, existingRun, type CreatedRun } from './run-identity.ts';
import { livenessSettings, silentStatus, type LivenessSettings } from './liveness.ts';
import { Relay } from './relay.ts';
import { RunStates, type RunState } from './run-states.ts';
import type { Telemetry } from './telemetry.ts';
import { setOwn } from '../domain/own.ts';
import { reproducibilityOf } from '../domain/run-meta.ts';

/** Where finding changes and run endings go inside the ingest transaction (the webhook outbox). */
export interface FindingSink {
  onFindingChanges(run: RunRef, changes: FindingChange[], now: number): Promise<void>;
  onRunFinished(run: RunRef, status: 'completed' | 'failed' | 'stopped', now: number): Promise<void>;
  /** A running run fell silent (it is now stalled, or lost when the silence was noticed late). */
  onRunStalled(run: RunRef, lastEventAt: number, now: number): Promise<void>;
}

export interface RunRef {
  id: string;
  name: string;
  project: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  last_seq: number;
  events: StoredEvent[];
}

export interface MetricsRequest {
  names?: string[];
  fromStep?: number;
  toStep?: number;
  maxPoints?: number;
}

/** What a chart needs to know of a series before reading it: how long it is and what its x axis counts. */
export interface SeriesInfo extends MetricPlace {
  name: string;
  canonical: string | null;
  count: number;
  /** `step` when its points carry steps, else `epoch` when they carry epochs, else `time`. */
  level: 'step' | 'epoch' | 'time';
  first: { step: number | null; epoch: number | null; ts: number };
  last: { step: number | null; epoch: number | null; ts: number };
}

export interface SeriesOut {
  name: string;
  canonical: string | null;
  /** Points in the range asked for, however many are sent. */
  count: number;
  /** The points sent, a page at a time, read only as the answer is written. */
  pages: AsyncIterable<Array<{ step: number | null; epoch: number | null; value: number; ts: number }>>;
}

/** Points per page when a whole range is sent: one query each, so a big series never sits in memory. */
const PAGE = 5000;

export interface ServiceOptions {
  store: Store;
  limits: ContextLimits;
  maxActiveRuns: number;
  /** Events between snapshots of a run's in-memory state (see RunStates). */
  snapshotEvery?: number;
  telemetry: Telemetry;
  liveness?: LivenessSettings;
  now?: () => number;
}

interface Pending {
  events: StoredEvent[];
  runs: Set<string>;
  /** Set at the end of its transaction: work it started that outlives it belongs to none. */
  done: boolean;
}

/** The lease of the stall watcher. */
const STALL_WATCHER = 'stall-watcher';

/**
 * The use-cases every door shares: create runs, ingest batches durably, and read status,
 * metrics, events and findings. A batch is validated before anything is written, written in one
 * transaction with the findings it causes, and published to streams only after the commit.
 */
export class AnalystService {
  readonly store: Store;
  readonly bus = new EventBus();
  readonly states: RunStates;
  readonly telemetry: Telemetry;
  readonly liveness: LivenessSettings;
  private readonly now: () => number;
  private readonly sinks: FindingSink[] = [];
  private readonly deletionListeners = new Set<(run: Run) => void>();
  /** What the transaction open in the caller's asynchronous context stored, published when it commits. */
  private readonly pending = new AsyncLocalStorage<Pending>();
  private readonly group: GroupCommit;
  private readonly locks = new RunLocks();
  /** Publishes what the store's commits hold, where other processes write to it too. */
  private readonly relay: Relay | undefined;

  constructor(opts: ServiceOptions) {
    this.store = opts.store;
    this.telemetry = opts.telemetry;
    this.now = opts.now ?? Date.now;
    this.liveness = opts.liveness ?? livenessSettings();
    this.relay = opts.store.commits ? new Relay(opts.store, this.bus) : undefined;
    this.states = new RunStates(opts.store, opts.limits, opts.maxActiveRuns, {
      snapshotEvery: opts.snapshotEvery ?? 5000,
      onRebuild: (events, fromSnapshot) => this.telemetry.contextRebuildEvents.inc({ from: fromSnapshot ? 'snapshot' : 'start' }, events),
    });
    // A batch rolled back may have left events in its run's context: rebuilt from the store on next use.
    // The group is one service transaction: its events reach streams (and the acknowledgement
    // ledger) only at its commit; a piece rolled back in its savepoint is never published.
    this.group = new GroupCommit(this, (run) => this.states.drop(run), {
      turnBudgetMs: opts.store.writesOnThread ? MAX_GROUP_TURN_MS : undefined,
      observe: (batches) => this.telemetry.groupCommitBatches.observe(batches),
    });
  }

  addSink(sink: FindingSink): void {
    this.sinks.push(sink);
  }

  /** A new run, unless the body resumes one or the idempotency key (or client id) was used before. */
  createRun(body: CreateRunBody, idempotencyKey?: string): Promise<CreatedRun> {
    return createOrResume(this.store, body, idempotencyKey, this.now());
  }

  listRuns(query: RunListQuery) {
    return this.store.listRuns(query);
  }

  /** A page of runs as the runs table shows them: each with its metrics' latest values and open findings by severity. */
  async runsTable(query: RunListQuery) {
    const page = await this.store.listRuns(query);
    const columns = await this.store.runColumns(page.runs.map((r) => r.id));
    return { ...page, runs: page.runs.map((r) => ({ ...r, ...columns.get(r.id)! })) };
  }

  /** A run by id, or the newest run a `project/name` or bare name names; 404, or 410 for a deleted id. */
  async run(ref: string): Promise<Run> {
    return (await this.store.resolveRun(ref)) ?? existingRun(this.store, ref);
  }

  /**
   * A run where the newest of several is not good enough (deleting): an id, or a name that only
   * one run has; otherwise 409 `ambiguous_run` with the candidates to choose from.
   */
  async exactRun(ref: string): Promise<Run> {
    const byId = await this.store.getRun(ref);
    if (byId) return byId;
    const named = await this.store.runsNamed(ref);
    if (named.length > 1) {
      throw new AnalystError('ambiguous_run', `${named.length} runs are named ${JSON.stringify(ref)}: give the id of the one you mean`, undefined, {
        candidates: named.map(candidateOf),
      });
    }
    return named[0] ?? this.run(ref);
  }

  /** Every run a reference may mean, newest first: one for an id. */
  async candidates(ref: string): Promise<RunCandidate[]> {
    const byId = await this.store.getRun(ref);
    return (byId ? [byId] : await this.store.runsNamed(ref)).map(candidateOf);
  }

  /** Rename, note, archive or tag a run. A person's tidying is not training: `updated_at` stays the last event's time. */
  async changeRun(ref: string, changes: RunChanges): Promise<Run> {
    const run = await this.run(ref);
    const patch: RunPatch = {};
    if (changes.name !== undefined) patch.name = changes.name;
    if (changes.note !== undefined) patch.note = changes.note?.trim() ? changes.note : null;
    if (changes.archived !== undefined) patch.archived_at = changes.archived ? (run.archived_at ?? this.now()) : null;
    if (changes.add_tags || changes.remove_tags) {
      const tags = { ...run.tags };
      for (const key of changes.remove_tags ?? []) delete tags[key];
      const added = Array.isArray(changes.add_tags) ? Object.fromEntries(changes.add_tags.map((t) => [t, ''])) : changes.add_tags;
      patch.tags = { ...tags, ...added };
    }
    await this.store.updateRun(run.id, patch, run.updated_at);
    return (await this.store.getRun(run.id))!;
  }

  /**
   * Deletes a run and everything kept for it in one transaction. Its live streams get a last
   * `deleted` event and end; later batches for its id get 410.
   */
  async deleteRun(ref: string): Promise<{ deleted: RunCandidate; removed: Record<string, number> }> {
    const run = await this.exactRun(ref);
    const removed = await this.store.deleteRun(run.id, this.now());
    this.states.drop(run.id);
    this.bus.end(run.id);
    for (const listener of this.deletionListeners) listener(run);
    return { deleted: candidateOf(run), removed };
  }

  /** Called after a run is deleted, for what other concerns keep in memory (upstream subscriptions). */
  onRunDeleted(listener: (run: Run) => void): void {
    this.deletionListeners.add(listener);
  }

  /**
   * Stores a batch and everything it causes (findings, outbox rows) in one transaction. Events
   * are already validated by the door; idempotency keys that were stored before are skipped.
   * For doors that write more in the same transaction (imports, upstream sources, MLflow).
   */
  async ingest(ref: string, inputs: EventInput[], door = 'rest'): Promise<IngestResult> {
    const started = performance.now();
    const id = (await this.run(ref)).id;
    const now = this.now();
    const batch = this.newEvents(inputs, now);
    const result = await this.transaction(async () => this.write(await this.writing(id), batch, now));
    this.counted(result, door, started);
    return result;
  }

  /**
   * The same for doors that only store the batch (REST, WebSocket, log lines): batches arriving
   * together share one transaction and one fsync (see GroupCommit), each acknowledged only after
   * that commit; one that fails is rolled back alone. Published at that commit, as every write.
   * Doors ask `admit` first. A door that has just resolved the run passes it, and it is not looked up again before the write (which
   * reads it anyway, under the write lock): a lookup is a tenth of a small batch's cost.
   * `written` is told when the batch is written, before its commit (see ingestInSlices).
   */
  async ingestGrouped(ref: string | Run, inputs: EventInput[], door = 'rest', written?: () => void): Promise<IngestResult> {
    const started = performance.now();
    const id = typeof ref === 'string' ? (await this.run(ref)).id : ref.id;
    const now = this.now();
    const batch = this.newEvents(inputs, now);
    const work = async () => {
      const result = await this.write(await this.writing(id), batch, now);
      written?.();
      return result;
    };
    return this.group.run(id, work, (result) => this.counted(result, door, started));
  }

  /**
   * Throws the refusal of a new request to store events (503 `overloaded`, with a time to retry)
   * while earlier batches wait too long for their group (see overload.ts). Doors ask once per
   * request, before they read and validate its body: a refusal then costs the least, and a request
   * taken is never refused halfway (an import written in slices).
   */
  admit(door = 'rest', now = performance.now()): void {
    const refused = overloadRefusal(this.group.waitMs(now));
    if (!refused) return;
    this.telemetry.batchesRefused.inc({ door });
    throw refused;
  }

  /**
   * The run as the writing transaction sees it, read under the store's write lock: a batch before
   * this one in the group, or another replica, may have changed it, and its last seq stays put
   * until the commit.
   */
  private async writing(id: string): Promise<Run> {
    return (await this.store.getRun(id)) ?? (await this.run(id));
  }

  /** The inputs themselves become the stored events (their ts and keys are overwritten in place). */
  private newEvents(inputs: EventInput[], now: number): NewEvent[] {
    return inputs.map((e) => ({
      body: e,
      ts: e.ts ?? now,
      event_id: e.event_id ?? (e.client_seq === undefined ? undefined : `client_seq:${e.client_seq}`),
    }));
  }

  private counted(result: IngestResult, door: string, started: number): void {
    this.telemetry.eventsIngested.inc({ door }, result.accepted);
    this.telemetry.batchSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * Runs `fn` in one transaction, joining the one already open. Events stored inside reach
   * streams only after the outermost commit: a batch that is rolled back (a failed import, a
   * refused MLflow batch) was never seen, and its seq numbers are never heard twice. On a
   * rollback the contexts it touched are rebuilt from the store, which holds none of it.
   */
  async transaction<T>(fn: () => Promise<T>, opts?: { batches?: boolean; committed?: () => void }): Promise<T> {
    const outer = this.openPending();
    const pending: Pending = outer ?? { events: [], runs: new Set<string>(), done: false };
    const mark = pending.events.length;
    let result: T;
    try {
      result = await this.store.transaction(() => this.pending.run(pending, fn), opts);
    } catch (err) {
      pending.events.length = mark;
      for (const run of pending.runs) this.states.drop(run);
      throw err;
    } finally {
      if (!outer) pending.done = true;
    }
    if (!outer) await this.committed(pending.events);
    return result;
  }

  private openPending(): Pending | undefined {
    const pending = this.pending.getStore();
    return pending?.done ? undefined : pending;
  }

  /** Queues stored events for publication at the commit of the transaction they belong to. */
  private stage(run: string, events: StoredEvent[]): void {
    const pending = this.openPending();
    if (!pending) throw new Error('events staged outside a transaction');
    pending.runs.add(run);
    for (const e of events) pending.events.push(e);
  }

  private async committed(events: StoredEvent[]): Promise<void> {
    if (!events.length) return;
    const last = new Map<string, number>();
    for (const e of events) last.set(e.run, e.seq);
    await this.store.acknowledged(last);
    if (this.relay) await this.relay.catchUp(events);
    else this.bus.publish(events);
  }

  /**
   * Streams on this replica hear what every replica commits on a shared database (see Relay);
   * nothing to do where this process holds the store alone. Until `unfollow`.
   */
  async followReplicas(): Promise<void> {
    const relay = this.relay;
    if (!relay || !this.store.commits) return;
    // A failed catch-up leaves the cursor where it was: the next commit heard reads from there.
    await this.store.commits.listen(() => void relay.catchUp().catch(() => {}));
  }

  async unfollow(): Promise<void> {
    await this.store.commits?.stop();
  }

  /** One batch of a run, alone on the run's in-memory state (see RunLocks). */
  private write(run: Run, batch: NewEvent[], now: number): Promise<IngestResult> {
    return this.locks.run(run.id, () => this.writeLocked(run, batch, now));
  }

  /**
   * The run's in-memory state, caught up with what other replicas wrote. Inside the writing
   * transaction (whose write lock keeps the run's last seq from moving meanwhile) for a batch;
   * for a read, as of the latest commit.
   */
  async state(run: string): Promise<RunState> {
    const stored = await this.store.getRun(run);
    return this.states.current(run, stored?.last_seq ?? 0);
  }

  /** `run` as `writing` read it. */
  private async writeLocked(run: Run, batch: NewEvent[], now: number): Promise<IngestResult> {
    // Loaded before the append: a rebuild after it would replay the new events, then apply them twice.
    const state = await this.states.current(run.id, run.last_seq);
    const { stored, duplicates } = await this.store.appendEvents(run.id, batch, now);
    const changes: FindingChange[] = [];
    const patch: RunPatch = {};
    let points = 0;
    for (const event of stored) {
      const update = state.ctx.apply(event);
      if (update) {
        points += update.values.size;
        for (const change of state.diagnoser.evaluate(state.ctx, update)) changes.push(change);
      }
      if (event.type === 'run_started') Object.assign(patch, runStartedChanges(run, event));
      if (event.type === 'epoch_started' || event.type === 'epoch_ended') {
        if (event.total_epochs && event.total_epochs !== run.total_epochs) patch.total_epochs = event.total_epochs;
      }
      if (event.type === 'run_finished') {
        patch.status = event.status;
        // A file without times says nothing of when its run ended: not the time it was read.
        patch.finished_at = event.timed === false ? null : event.ts;
        for (const sink of this.sinks) await sink.onRunFinished(run, event.status, now);
      }
    }
    if (!patch.status && stored.length) {
      // A silent run that speaks again is running; new data on a finished run means it was resumed
      // (a paused run resumes by a control ack).
      const silent = run.status === 'stalled' || run.status === 'lost';
      const finished = run.status === 'completed' || run.status === 'failed' || run.status === 'stopped';
      if (silent || (finished && stored.some((e) => e.type === 'metrics' || e.type === 'run_started'))) {
        patch.status = 'running';
        patch.finished_at = null;
      }
    }
    const findingEvents: NewEvent[] = [];
    for (const change of changes) {
      await this.store.saveFinding(change.finding);
      findingEvents.push({ body: { type: change.type, finding: change.finding }, ts: now });
      if (change.type === 'finding_raised') {
        this.telemetry.findingsRaised.inc({ kind: change.finding.kind, severity: change.finding.severity });
      }
    }
    const written = findingEvents.length ? (await this.store.appendEvents(run.id, findingEvents, now)).stored : [];
    for (const event of written) state.ctx.apply(event);
    if (changes.length) for (const sink of this.sinks) await sink.onFindingChanges(run, changes, now);
    if (Object.keys(patch).length) await this.store.updateRun(run.id, patch, now);
    await this.states.checkpoint(run.id, state, now);
    this.telemetry.pointsIngested.inc(points);
    const events = [...stored, ...written];
    this.stage(run.id, events);
    // With nothing new (a retried batch), the run's log ends where it did when this call read it.
    const lastSeq = events.length ? events[events.length - 1].seq : run.last_seq;
    return { accepted: stored.length, duplicates, last_seq: lastSeq, events };
  }

  /**
   * The stall check as the replicas of a deployment run it: by the one holding the watcher's
   * lease, renewed at each check, and taken by another once its holder stops renewing (it died).
   */
  async checkSilenceAs(holder: string, now = this.now()): Promise<void> {
    if (await this.store.leases.acquire(STALL_WATCHER, holder, now, this.liveness.leaseMs)) await this.checkSilence(now);
  }

  /** Lets another replica take the stall watcher at its next check: this one is stopping. */
  releaseSilence(holder: string): Promise<void> {
    return this.store.leases.release(STALL_WATCHER, holder);
  }

  /**
   * Live runs that fell silent: `running` becomes `stalled` after the stall limit (with a
   * `run.stalled` alert), and `lost` after the longer lost limit. Runs read from files are
   * finished when the file is, so they never stall.
   */
  async checkSilence(now = this.now()): Promise<void> {
    const silent = await this.store.silentRuns(now - this.liveness.stallMs, now - this.liveness.lostMs);
    if (!silent.length) return;
    // One transaction (one fsync) for all of them: after a long stop, every live run may be stale at once.
    await this.store.transaction(async () => {
      for (const run of silent) {
        const lastEventAt = run.last_event_at ?? run.created_at;
        const status = silentStatus(now - lastEventAt, this.liveness);
        if (!status || status === run.status) continue;
        if (!(await this.store.markSilent(run, status, now))) continue;
        if (run.status === 'running') for (const sink of this.sinks) await sink.onRunStalled(run, lastEventAt, now);
      }
    });
  }

  /**
   * Writes events the service itself produces (training control and its acknowledgements) into
   * a run's log, so streams replay them in order with the trainer's own events.
   */
  async record(ref: string, bodies: ServiceEventBody[]): Promise<StoredEvent[]> {
    const run = await this.run(ref);
    const now = this.now();
    return this.transaction(() =>
      this.locks.run(run.id, async () => {
        const { ctx } = await this.state(run.id);
        const { stored } = await this.store.appendEvents(run.id, bodies.map((body) => ({ body, ts: now })), now);
        for (const event of stored) ctx.apply(event);
        this.stage(run.id, stored);
        return stored;
      }),
    );
  }

  /** Seed 3's task status: progress, epochs and steps, latest metrics, best, ETA, findings. */
  async status(ref: string) {
    const run = await this.run(ref);
    const { ctx } = await this.state(run.id);
    // A silent run's clock stopped with its trainer: no elapsed time counting on, no ETA.
    const silent = run.status === 'stalled' || run.status === 'lost';
    const view = ctx.view(silent ? (ctx.lastEventAt ?? this.now()) : this.now());
    if (silent) view.eta_s = null;
    const latest: Record<string, number> = {};
    for (const [name, v] of ctx.latest) setOwn(latest, name, v.value);
    const canonical: Record<string, number> = {};
    for (const s of ctx.series.values()) canonical[s.name] = s.last;
    const findings = (await this.store.findings(run.id, 'open')).map((f) => asOfNow(f, ctx));
    return {
      ...run,
      ...view,
      status: run.status,
      // A run read from a file without times has no start, end or elapsed time: not when it was read.
      started_at: ctx.untimed ? null : (ctx.startedAt ?? run.created_at),
      timed: !ctx.untimed,
      latest,
      latest_canonical: canonical,
      open_findings: findings.length,
      findings: findings.map(({ run: _r, ...f }) => f),
      read: await this.store.readReports(run.id),
      reproducibility: reproducibilityOf(run.meta),
      // Seed 4's state for a live monitor; `batch` is the latest step (batches seen), `loss` the training loss.
      state: { epoch: view.epoch, total_epochs: view.total_epochs, batch: view.step, loss: canonical.train_loss ?? null, lr: ctx.lastLr, is_training: run.status === 'running' },
    };
  }

  /**
   * Keeps what a door read for a run: an imported file's report replaces the one before, posted
   * log lines add up across requests.
   */
  noteRead(runId: string, source: ReadSource, report: ReadReport): Promise<void> {
    // Under the run's lock, taken inside a transaction as every holder of it does: two requests
    // adding up their lines must not both read the same report before.
    return this.store.transaction(() =>
      this.locks.run(runId, async () => {
        const before = source === 'logs' ? (await this.store.readReports(runId)).logs : undefined;
        await this.store.saveReadReport(runId, source, before ? mergeReports(before, report) : report, this.now());
      }),
    );
  }

  /** The recorder's run analysis: summary, stability, overfitting score, convergence status. */
  async analysis(ref: string) {
    const run = await this.run(ref);
    return analyzeRun((await this.state(run.id)).ctx, await this.store.findings(run.id));
  }

  /**
   * Runs side by side, by id or name as every run route reads them: their ranking, the config and
   * summary figures that differ, and the comparison in words. `pair` adds the two-run form
   * (`a`, `b`, `comparison`) that clients of `?a=&b=` read.
   */
  async compare(refs: string[], pair = false): Promise<RunsComparison> {
    const runs: Run[] = [];
    for (const ref of refs) runs.push(await this.run(ref));
    const twice = runs.find((r, i) => runs.findIndex((x) => x.id === r.id) !== i);
    if (twice) throw new AnalystError('invalid_query', `run ${twice.name} (${twice.id}) is named twice: compare different runs`, [{ path: 'ids', message: 'each run once' }]);
    const compared = [];
    for (const run of runs) compared.push({ id: run.id, name: run.name, project: run.project, status: run.status, config: run.config, analysis: await this.analysis(run.id) });
    const result = compareSeveral(compared);
    if (!pair) return result;
    const [a, b] = compared;
    return { ...result, a, b, comparison: pairComparison(a.analysis, b.analysis) };
  }

  /**
   * A run's findings, open ones as they read now (see asOfNow). Only runs with open findings need
   * their position, so a finished run's resolved findings are read without rebuilding its context.
   */
  async findings(ref: string, status?: 'open' | 'resolved'): Promise<Finding[]> {
    const id = (await this.run(ref)).id;
    const findings = await this.store.findings(id, status);
    if (!findings.some((f) => f.status === 'open')) return findings;
    const { ctx } = await this.state(id);
    return findings.map((f) => asOfNow(f, ctx));
  }

  /**
   * A run's events after `afterSeq`; of some types only when asked, and then, without a cursor,
   * their recent history (seed 4's per-type history): the latest `limit`, oldest first.
   */
  async events(ref: string, afterSeq: number | undefined, limit: number, types?: string[]): Promise<StoredEvent[]> {
    const id = (await this.run(ref)).id;
    if (!types) return this.store.eventsAfter(id, afterSeq ?? 0, limit);
    return afterSeq === undefined ? this.store.recentEvents(id, types, limit) : this.store.eventsOfTypesAfter(id, types, afterSeq, limit);
  }

  /** Every series of a run with its length and ends, read from two points each whatever the run's size. */
  async metricNames(ref: string): Promise<SeriesInfo[]> {
    const run = await this.run(ref);
    const out: SeriesInfo[] = [];
    for (const name of await this.store.metricNames(run.id)) {
      const range = await this.store.series.range(run.id, name);
      if (!range) continue;
      const { first, last } = await this.store.series.ends(range);
      const at = (p: SeriesPoint) => ({ step: p.step, epoch: p.epoch, ts: p.ts });
      const level = last.step !== null ? 'step' : last.epoch !== null ? 'epoch' : 'time';
      out.push({ name, canonical: seriesCanonical(name) ?? null, count: range.last - range.first + 1, level, first: at(first), last: at(last), ...metricPlace(name) });
    }
    return out;
  }

  /**
   * Metric history, by names as sent or canonical names (`val_loss` finds `eval_loss`). A range
   * holding more points than `maxPoints` is drawn from the series' summaries (SeriesStore.envelope):
   * its cost follows the width asked for, not the length of the run.
   */
  async metrics(ref: string, req: MetricsRequest): Promise<SeriesOut[]> {
    const run = await this.run(ref);
    const stored = await this.store.metricNames(run.id);
    const wanted = req.names?.length ? req.names : stored;
    const names = new Set<string>();
    for (const w of wanted) {
      if (stored.includes(w)) names.add(w);
      else for (const s of stored) if (seriesCanonical(s) === w) names.add(s);
    }
    const out: SeriesOut[] = [];
    for (const name of [...names].sort()) {
      const range = await this.store.series.range(run.id, name, req.fromStep, req.toStep);
      if (!range) continue;
      const canonical = seriesCanonical(name) ?? null;
      const count = range.last - range.first + 1;
      const shown = (points: SeriesPoint[]) => points.map((p) => ({ step: p.step, epoch: p.epoch, value: canonical ? normaliseValue(canonical, p.value) : p.value, ts: p.ts }));
      const series = this.store.series;
      const telemetry = this.telemetry;
      const pages = async function* () {
        if (req.maxPoints && count > req.maxPoints) {
          const { points, rows } = await series.envelope(range, req.maxPoints);
          telemetry.seriesRowsRead.inc(rows);
          yield shown(points);
        } else {
          for await (const page of series.pages(range, PAGE)) {
            telemetry.seriesRowsRead.inc(page.length);
            yield shown(page);
          }
        }
      };
      out.push({ name, canonical, count, pages: pages() });
    }
    return out;
  }
}
