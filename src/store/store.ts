import type { EventBody, StoredEvent } from '../domain/events.ts';
import type { Finding } from '../domain/findings.ts';
import type { ReadReport, ReadSource } from '../domain/read-report.ts';
import type { IntegrityReport } from '../domain/integrity.ts';
import type { SeriesStore } from './series.ts';
import type { SnapshotStore } from './snapshots.ts';
import type { OutboxStore } from './outbox.ts';
import type { WebhookStore } from './webhooks.ts';
import type { LeaseStore } from './leases.ts';
import type { UsageStore } from './usage.ts';
import type { SuggestionStore } from './suggestions.ts';
import type { SourceStore } from './sources.ts';
import type { ControlStore } from './control.ts';
import type { ExperimentStore } from './experiments.ts';
import type { LoggedModelStore } from './logged-models.ts';
import type { MlflowMetricStore } from './mlflow-metrics.ts';
import type { CreateRunInput, MetricPoint, Run, RunColumns, RunListQuery, RunStatus } from '../domain/runs.ts';

/** An event ready to be stored: its body, when it happened, and the client's idempotency key. */
export interface NewEvent {
  body: EventBody;
  ts: number;
  event_id?: string;
}

export interface AppendResult {
  stored: StoredEvent[];
  /** Events whose idempotency key was already stored: a retried batch. */
  duplicates: number;
}

export interface MetricsQuery {
  names?: string[];
}

export type RunPatch = Partial<
  Pick<
    Run,
    'status' | 'config' | 'meta' | 'tags' | 'total_epochs' | 'total_steps' | 'stage' | 'dataset' | 'base_model' | 'parent_run' | 'finished_at' | 'name' | 'note' | 'archived_at'
  >
>;

/** A create request remembered under its idempotency key: the run it made and what was asked. */
export interface RunRequest {
  run: string;
  fingerprint: string;
}

/** A deleted run's tombstone: its id is never reused, and late batches for it are told so. */
export interface DeletedRun {
  id: string;
  project: string;
  name: string;
  deleted_at: number;
}

/**
 * Persistence behind one interface, with one implementation per engine. `transaction` groups
 * writes, so a batch either lands whole or not at all, and is acknowledged only after the commit
 * resolves. The transaction a call belongs to is the one open in its asynchronous context
 * (AsyncLocalStorage): every store and module-store call made inside `fn`, across awaits too,
 * runs in it, and a nested `transaction` is a savepoint that rolls back alone when it fails.
 */
/** Commits of every process sharing the database (the replicas of a deployment), this one's included. */
export interface CommitFeed {
  /**
   * Calls `onCommit` after each commit that stored events, and once more after a lost
   * connection to the database is back (what was committed meanwhile went unannounced).
   */
  listen(onCommit: () => void): Promise<void>;
  stop(): Promise<void>;
}

export interface Store {
  /** Absent where one process holds the store (SQLite): every commit is then this process's own. */
  readonly commits?: CommitFeed;
  /**
   * Writes run synchronously on the service's thread (SQLite): a group of them takes one turn of
   * the event loop (its batches planned there, and written there or by SQLite's writer thread).
   */
  readonly writesOnThread?: boolean;
  /** Metric series: names, ranges, pages of points and envelopes that draw any range at any width. */
  readonly series: SeriesStore;
  /** Snapshots of runs' in-memory state, so a run comes back without replaying its history. */
  readonly snapshots: SnapshotStore;
  /** Alerts, webhook deliveries and alert throttling (notify/). */
  readonly outbox: OutboxStore;
  /** Webhook subscriptions (notify/). */
  readonly webhooks: WebhookStore;
  /** Daily LLM usage (llm/). */
  readonly usage: UsageStore;
  /** What runs once across the replicas of a deployment holds a lease here. */
  readonly leases: LeaseStore;
  /** Tuning suggestions and their outcomes (analyst/). */
  readonly suggestions: SuggestionStore;
  /** Upstream SSE subscriptions (ingest/sources). */
  readonly sources: SourceStore;
  /** Training-control requests (service/control). */
  readonly control: ControlStore;
  /** MLflow experiments. */
  readonly experiments: ExperimentStore;
  /** MLflow 3 logged models. */
  readonly loggedModels: LoggedModelStore;
  /** Metrics as MLflow's API reads them. */
  readonly mlflowMetrics: MlflowMetricStore;
  /**
   * `batches`: `fn` holds independent batches, at most one per run, each in a nested transaction
   * of its own (a group commit); an engine may write them off the event loop (SQLite's writer
   * thread). `committed`: called, by an engine that can tell, once the commit is made and before
   * it is flushed to disk.
   */
  transaction<T>(fn: () => Promise<T>, opts?: { batches?: boolean; committed?: () => void }): Promise<T>;
  /** Resolves when the database answers a trivial query (health check). */
  ping(): Promise<void>;
  /** Always a new run, with the client's id when it chose one. */
  createRun(input: CreateRunInput, now: number): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** The newest run with this project and name. */
  findRun(project: string, name: string): Promise<Run | undefined>;
  /** Resolves an id, or `project/name` or a bare name to the newest run with that name. */
  resolveRun(ref: string): Promise<Run | undefined>;
  /** Every run a `project/name` or bare-name reference may mean, newest first. */
  runsNamed(ref: string): Promise<Run[]>;
  runRequest(key: string): Promise<RunRequest | undefined>;
  saveRunRequest(key: string, request: RunRequest, now: number): Promise<void>;
  deletedRun(id: string): Promise<DeletedRun | undefined>;
  /**
   * Deletes a run and every row keyed by it, in one transaction, and leaves its tombstone;
   * returns the rows removed per table.
   */
  deleteRun(id: string, now: number): Promise<Record<string, number>>;
  /** Runs, newest first, each with its count of open findings. */
  listRuns(query: RunListQuery): Promise<{ runs: Array<Run & { open_findings: number }>; total: number }>;
  /** The runs table's columns for these runs, read in two queries however many there are. */
  runColumns(ids: string[]): Promise<Map<string, RunColumns>>;
  /**
   * Live runs whose silence changes their status: running ones silent since `stallBefore`, stalled
   * ones silent since `lostBefore` (a paused run is silent on purpose). Read through an index:
   * the cost follows the runs returned, not the runs kept.
   */
  silentRuns(stallBefore: number, lostBefore: number): Promise<Run[]>;
  /** Runs whose parent_run names this run (by id, project/name or name): the next stages of its lineage. */
  childRuns(run: Run): Promise<Run[]>;
  /** Runs that declare a place in a lineage (a stage or a parent run), oldest first. */
  lineageRuns(): Promise<Run[]>;
  /** The run's latest `limit` events of these types, oldest first. */
  recentEvents(run: string, types: readonly string[], limit: number): Promise<StoredEvent[]>;
  /** The run's first `limit` events of these types after `afterSeq`, in order. */
  eventsOfTypesAfter(run: string, types: readonly string[], afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** The run's latest log lines, oldest first. */
  recentLogs(run: string, limit: number): Promise<string[]>;
  updateRun(id: string, patch: RunPatch, now: number): Promise<void>;
  /**
   * Gives a silent run its new status only if it is still as `run` was read (same status, no
   * event since): false when another replica's check or a new event got there first, so a
   * silence is acted on once however many checks saw it.
   */
  markSilent(run: Run, status: RunStatus, now: number): Promise<boolean>;
  /** Stores events in order; each body object is turned into its stored event in place, not copied. */
  appendEvents(run: string, events: NewEvent[], now: number): Promise<AppendResult>;
  eventsAfter(run: string, afterSeq: number, limit: number): Promise<StoredEvent[]>;
  eventsAfterGlobal(afterGid: number, limit: number, project?: string): Promise<StoredEvent[]>;
  lastGid(): Promise<number>;
  /** The run's events after `afterSeq` (all of them by default), in order. */
  replay(run: string, afterSeq?: number): AsyncIterable<StoredEvent>;
  metricNames(run: string): Promise<string[]>;
  /** Every point of the named series (all of the run's without names), materialised: for small answers only. */
  points(run: string, query: MetricsQuery): Promise<MetricPoint[]>;
  saveFinding(finding: Finding): Promise<void>;
  /** Keeps the latest read report of a door for a run, replacing the one before. */
  saveReadReport(run: string, source: ReadSource, report: ReadReport, now: number): Promise<void>;
  readReports(run: string): Promise<Partial<Record<ReadSource, ReadReport>>>;
  findings(run: string, status?: 'open' | 'resolved'): Promise<Finding[]>;
  /** Called after a commit with each run's last seq in it: what clients are now promised. */
  acknowledged(lastSeqs: Map<string, number>): Promise<void>;
  /** What the start-up check found: acknowledged events missing from the store, a damaged file. */
  integrityReport(): Promise<IntegrityReport>;
  close(): Promise<void>;
}

export type { RunStatus };
