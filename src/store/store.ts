import type Database from 'better-sqlite3';
import type { EventBody, StoredEvent } from '../domain/events.ts';
import type { Finding } from '../domain/findings.ts';
import type { ReadReport, ReadSource } from '../domain/read-report.ts';
import type { IntegrityReport } from '../domain/integrity.ts';
import type { SeriesRepo } from './series-repo.ts';
import type { SnapshotsRepo } from './snapshots-repo.ts';
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
 * Persistence behind one interface. Writes are synchronous and grouped by `transaction`, so a
 * batch either lands whole or not at all, and is acknowledged only after the commit returns.
 */
export interface Store {
  /** The embedded database handle, for modules that keep tables of their own (outbox, usage, ...). */
  readonly db: Database.Database;
  /** Metric series: names, ranges, pages of points and envelopes that draw any range at any width. */
  readonly series: SeriesRepo;
  /** Snapshots of runs' in-memory state, so a run comes back without replaying its history. */
  readonly snapshots: SnapshotsRepo;
  transaction<T>(fn: () => T): T;
  /** Always a new run, with the client's id when it chose one. */
  createRun(input: CreateRunInput, now: number): Run;
  getRun(id: string): Run | undefined;
  /** The newest run with this project and name. */
  findRun(project: string, name: string): Run | undefined;
  /** Resolves an id, or `project/name` or a bare name to the newest run with that name. */
  resolveRun(ref: string): Run | undefined;
  /** Every run a `project/name` or bare-name reference may mean, newest first. */
  runsNamed(ref: string): Run[];
  runRequest(key: string): RunRequest | undefined;
  saveRunRequest(key: string, request: RunRequest, now: number): void;
  deletedRun(id: string): DeletedRun | undefined;
  /**
   * Deletes a run and every row keyed by it, in one transaction, and leaves its tombstone;
   * returns the rows removed per table.
   */
  deleteRun(id: string, now: number): Record<string, number>;
  /** Runs, newest first, each with its count of open findings. */
  listRuns(query: RunListQuery): { runs: Array<Run & { open_findings: number }>; total: number };
  /** The runs table's columns for these runs, read in two queries however many there are. */
  runColumns(ids: string[]): Map<string, RunColumns>;
  /**
   * Live runs whose silence changes their status: running ones silent since `stallBefore`, stalled
   * ones silent since `lostBefore` (a paused run is silent on purpose). Read through an index:
   * the cost follows the runs returned, not the runs kept.
   */
  silentRuns(stallBefore: number, lostBefore: number): Run[];
  /** Runs whose parent_run names this run (by id, project/name or name): the next stages of its lineage. */
  childRuns(run: Run): Run[];
  /** Runs that declare a place in a lineage (a stage or a parent run), oldest first. */
  lineageRuns(): Run[];
  /** The run's latest `limit` events of these types, oldest first. */
  recentEvents(run: string, types: readonly string[], limit: number): StoredEvent[];
  /** The run's first `limit` events of these types after `afterSeq`, in order. */
  eventsOfTypesAfter(run: string, types: readonly string[], afterSeq: number, limit: number): StoredEvent[];
  /** The run's latest log lines, oldest first. */
  recentLogs(run: string, limit: number): string[];
  updateRun(id: string, patch: RunPatch, now: number): void;
  /** Stores events in order; each body object is turned into its stored event in place, not copied. */
  appendEvents(run: string, events: NewEvent[], now: number): AppendResult;
  eventsAfter(run: string, afterSeq: number, limit: number): StoredEvent[];
  eventsAfterGlobal(afterGid: number, limit: number, project?: string): StoredEvent[];
  lastGid(): number;
  /** The run's events after `afterSeq` (all of them by default), in order. */
  replay(run: string, afterSeq?: number): Iterable<StoredEvent>;
  metricNames(run: string): string[];
  /** Every point of the named series (all of the run's without names), materialised: for small answers only. */
  points(run: string, query: MetricsQuery): MetricPoint[];
  saveFinding(finding: Finding): void;
  /** Keeps the latest read report of a door for a run, replacing the one before. */
  saveReadReport(run: string, source: ReadSource, report: ReadReport, now: number): void;
  readReports(run: string): Partial<Record<ReadSource, ReadReport>>;
  findings(run: string, status?: 'open' | 'resolved'): Finding[];
  /** Called after a commit with each run's last seq in it: what clients are now promised. */
  acknowledged(lastSeqs: Map<string, number>): void;
  /** What the start-up check found: acknowledged events missing from the store, a damaged file. */
  integrityReport(): IntegrityReport;
  close(): void;
}

export type { RunStatus };
