import { randomUUID } from 'node:crypto';
import { Mutex } from 'async-mutex';
import type { StoredEvent } from '../../domain/events.ts';
import type { Finding } from '../../domain/findings.ts';
import type { IntegrityReport } from '../../domain/integrity.ts';
import { setOwn } from '../../domain/own.ts';
import { ReadReport, ReadSource } from '../../domain/read-report.ts';
import type { CreateRunInput, MetricPoint, Run, RunColumns, RunListQuery, RunStatus } from '../../domain/runs.ts';
import { stringifyJson } from '../../domain/values.ts';
import { namePairs, RUN_PATCH_COLUMNS, RUN_PATCH_JSON, toEvent, toFinding, toRun, type EventRow, type FindingRow, type RunRow } from '../rows.ts';
import type { AppendResult, DeletedRun, MetricsQuery, NewEvent, RunPatch, RunRequest, Store } from '../store.ts';
import { appendEvents } from './append.ts';
import { commitChannel, PgCommitFeed } from './commit-feed.ts';
import { PgControlStore } from './control.ts';
import { PgExperimentStore } from './experiments.ts';
import { PgLoggedModelStore } from './logged-models.ts';
import { PgMlflowMetricStore } from './mlflow-metrics.ts';
import { PgOutboxStore } from './outbox.ts';
import type { PgDatabase } from './pool.ts';
import { listOrder, listWhere, NEWEST, Params, RUN_COLUMNS } from './run-list.ts';
import { PgSeriesStore } from './series.ts';
import { seriesPoints } from '../series.ts';
import { PgSnapshotStore } from './snapshots.ts';
import { PgSourceStore } from './sources.ts';
import { PgSuggestionStore } from './suggestions.ts';
import { PgLeaseStore } from './leases.ts';
import { PgUsageStore } from './usage.ts';
import { PgWebhookStore } from './webhooks.ts';

const EVENT_COLUMNS = 'gid, run, seq, ts, event_id, body';

/** Events per query of a replay. */
const REPLAY_PAGE = 1000;

/**
 * The PostgreSQL engine: the same tables and answers as the SQLite engine, shared by every
 * replica of the service. A commit is durable when it returns, so acknowledging needs nothing more.
 */
export class PostgresStore implements Store {
  readonly series: PgSeriesStore;
  readonly snapshots: PgSnapshotStore;
  readonly outbox: PgOutboxStore;
  readonly webhooks: PgWebhookStore;
  readonly usage: PgUsageStore;
  readonly leases: PgLeaseStore;
  readonly suggestions: PgSuggestionStore;
  readonly sources: PgSourceStore;
  readonly control: PgControlStore;
  readonly experiments: PgExperimentStore;
  readonly loggedModels: PgLoggedModelStore;
  readonly mlflowMetrics: PgMlflowMetricStore;
  readonly commits: PgCommitFeed;
  private readonly checkedAt = Date.now();
  private readonly turns = new Mutex();

  /**
   * `writeLock` is the advisory lock key that orders writing transactions (see `transaction`);
   * `problems` what the start-up check found.
   */
  constructor(
    readonly db: PgDatabase,
    readonly writeLock: number,
    private readonly problems: string[] = [],
  ) {
    this.series = new PgSeriesStore(db);
    this.snapshots = new PgSnapshotStore(db);
    this.outbox = new PgOutboxStore(db);
    this.webhooks = new PgWebhookStore(db);
    this.usage = new PgUsageStore(db);
    this.leases = new PgLeaseStore(db);
    this.suggestions = new PgSuggestionStore(db);
    this.sources = new PgSourceStore(db);
    this.control = new PgControlStore(db);
    this.experiments = new PgExperimentStore(db);
    this.loggedModels = new PgLoggedModelStore(db);
    this.mlflowMetrics = new PgMlflowMetricStore(db);
    this.commits = new PgCommitFeed(db, commitChannel(writeLock));
  }

  /**
   * A transaction of the service: the outermost takes the write lock first, so writing
   * transactions run one at a time across replicas, as SQLite's single writer does. Taking it
   * before any row lock is what keeps them from deadlocking, and it gives events their global
   * numbers in commit order (events are only written in these transactions: no module opens one
   * on the pool itself). It is taken with the BEGIN, in one round trip. Within one process they
   * queue in the order they were started, each taking a connection only when its turn comes, so
   * waiting ones leave the pool to readers.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction()) return this.db.transaction(fn);
    return this.turns.runExclusive(() => this.db.transaction(fn, `SELECT pg_advisory_xact_lock(${Math.trunc(this.writeLock)})`));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async createRun(input: CreateRunInput, now: number): Promise<Run> {
    const { rows } = await this.db.query<RunRow>(
      `INSERT INTO runs (id, project, name, status, config, meta, tags, total_epochs, total_steps, stage, dataset,
         base_model, parent_run, created_at, updated_at)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
       RETURNING ${RUN_COLUMNS}`,
      [
        input.id ?? randomUUID().replaceAll('-', ''),
        input.project,
        input.name,
        stringifyJson(input.config),
        stringifyJson(input.meta),
        stringifyJson(input.tags),
        input.total_epochs ?? null,
        input.total_steps ?? null,
        input.stage ?? null,
        input.dataset ?? null,
        input.base_model ?? null,
        input.parent_run ?? null,
        now,
      ],
    );
    return toRun(rows[0]);
  }

  async getRun(id: string): Promise<Run | undefined> {
    return (await this.runs('WHERE id = $1', [id]))[0];
  }

  async findRun(project: string, name: string): Promise<Run | undefined> {
    return (await this.runs(`WHERE project = $1 AND name = $2 ${NEWEST} LIMIT 1`, [project, name]))[0];
  }

  async resolveRun(ref: string): Promise<Run | undefined> {
    return (await this.getRun(ref)) ?? (await this.runsNamed(ref))[0];
  }

  async runsNamed(ref: string): Promise<Run[]> {
    const pairs = namePairs(ref);
    // A `project/name` spelling wins over a bare name that happens to hold a slash.
    if (pairs.length) {
      const found = await this.runs(`WHERE (project, name) IN (SELECT * FROM unnest($1::text[], $2::text[])) ${NEWEST}`, [
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
      ]);
      if (found.length) return found;
    }
    return this.runs(`WHERE name = $1 ${NEWEST}`, [ref]);
  }

  async runRequest(key: string): Promise<RunRequest | undefined> {
    const { rows } = await this.db.query<RunRequest>('SELECT run, fingerprint FROM run_requests WHERE key = $1', [key]);
    return rows[0];
  }

  async saveRunRequest(key: string, request: RunRequest, now: number): Promise<void> {
    await this.db.query('INSERT INTO run_requests (key, run, fingerprint, created_at) VALUES ($1, $2, $3, $4)', [key, request.run, request.fingerprint, now]);
  }

  async deletedRun(id: string): Promise<DeletedRun | undefined> {
    const { rows } = await this.db.query<DeletedRun>('SELECT id, project, name, deleted_at FROM deleted_runs WHERE id = $1', [id]);
    return rows[0];
  }

  deleteRun(id: string, now: number): Promise<Record<string, number>> {
    return this.transaction(async () => {
      const { rows } = await this.db.query<{ project: string; name: string }>('DELETE FROM runs WHERE id = $1 RETURNING project, name', [id]);
      if (!rows.length) return {};
      const removed: Record<string, number> = {};
      const count = (table: string, n: number) => {
        if (n) removed[table] = (removed[table] ?? 0) + n;
      };
      // Found by their columns rather than listed, as in the SQLite engine: a table added later cannot be forgotten.
      const { rows: keyed } = await this.db.query<{ tbl: string; col: string }>(
        `SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
         WHERE table_schema = current_schema() AND column_name IN ('run', 'run_id') ORDER BY table_name`,
      );
      // Deliveries point at alerts, not runs: they go with the run's alerts.
      if (keyed.some((k) => k.tbl === 'alerts')) {
        count('webhook_deliveries', (await this.db.query('DELETE FROM webhook_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE run_id = $1)', [id])).rowCount);
      }
      // Points and their summaries are keyed by their series, which go with the run.
      for (const tbl of ['samples', 'series_buckets']) {
        count(tbl, (await this.db.query(`DELETE FROM ${tbl} WHERE series IN (SELECT id FROM series WHERE run = $1)`, [id])).rowCount);
      }
      for (const { tbl, col } of keyed) count(tbl, (await this.db.query(`DELETE FROM "${tbl}" WHERE "${col}" = $1`, [id])).rowCount);
      await this.db.query(
        `INSERT INTO deleted_runs (id, project, name, deleted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET project = excluded.project, name = excluded.name, deleted_at = excluded.deleted_at`,
        [id, rows[0].project, rows[0].name, now],
      );
      return removed;
    });
  }

  async listRuns(query: RunListQuery): Promise<{ runs: Array<Run & { open_findings: number }>; total: number }> {
    const p = new Params();
    const where = listWhere(query, p);
    // The filter's parameters come first, so the count takes them alone.
    const { rows: counted } = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM runs ${where}`, [...p.values]);
    const order = listOrder(query.sort, p);
    const { rows } = await this.db.query<RunRow & { open_findings: number }>(
      `SELECT ${RUN_COLUMNS}, (SELECT COUNT(*) FROM findings f WHERE f.run = runs.id AND f.status = 'open') AS open_findings
       FROM runs ${order.join} ${where} ${order.order} LIMIT ${p.add(query.limit)} OFFSET ${p.add(query.offset)}`,
      p.values,
    );
    return { runs: rows.map((r) => ({ ...toRun(r), open_findings: r.open_findings })), total: counted[0].n };
  }

  async runColumns(ids: string[]): Promise<Map<string, RunColumns>> {
    const out = new Map<string, RunColumns>(ids.map((id) => [id, { summary: Object.create(null), open_by_severity: { critical: 0, warning: 0, info: 0 } }]));
    if (!ids.length) return out;
    const { rows: latest } = await this.db.query<{ run: string; name: string; value: number | null }>(
      'SELECT s.run, s.name, x.value FROM series s JOIN samples x ON x.series = s.id AND x.i = s.count - 1 WHERE s.run = ANY($1::text[])',
      [ids],
    );
    for (const r of latest) setOwn(out.get(r.run)!.summary, r.name, r.value ?? NaN);
    const { rows: open } = await this.db.query<{ run: string; severity: keyof RunColumns['open_by_severity']; n: number }>(
      `SELECT run, severity, COUNT(*) AS n FROM findings WHERE run = ANY($1::text[]) AND status = 'open' GROUP BY run, severity`,
      [ids],
    );
    for (const r of open) out.get(r.run)!.open_by_severity[r.severity] = r.n;
    return out;
  }

  silentRuns(stallBefore: number, lostBefore: number): Promise<Run[]> {
    return this.runs(
      `WHERE status = 'running' AND COALESCE(last_event_at, created_at) <= $1
       UNION ALL SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'stalled' AND COALESCE(last_event_at, created_at) <= $2`,
      [stallBefore, lostBefore],
    );
  }

  async childRuns(run: Run): Promise<Run[]> {
    // A parent named by project/name or name is the newest run with it, as everywhere: an older
    // run with the same name is not the parent of stages declared after a newer one.
    const refs = [run.id];
    for (const ref of [`${run.project}/${run.name}`, run.name]) if ((await this.resolveRun(ref))?.id === run.id) refs.push(ref);
    return this.runs('WHERE parent_run = ANY($1::text[]) ORDER BY created_at, rowid', [refs]);
  }

  lineageRuns(): Promise<Run[]> {
    return this.runs('WHERE parent_run IS NOT NULL OR stage IS NOT NULL ORDER BY created_at, rowid');
  }

  async updateRun(id: string, patch: RunPatch, now: number): Promise<void> {
    const keys = Object.keys(patch) as (keyof RunPatch)[];
    if (!keys.length) return;
    for (const k of keys) if (!RUN_PATCH_COLUMNS.has(k)) throw new Error(`a run has no column ${JSON.stringify(k)} to change`);
    const p = new Params();
    const sets = keys.map((k) => `${k} = ${p.add(RUN_PATCH_JSON.has(k) ? stringifyJson(patch[k]) : (patch[k] ?? null))}`).join(', ');
    await this.db.query(`UPDATE runs SET ${sets}, updated_at = ${p.add(now)} WHERE id = ${p.add(id)}`, p.values);
  }

  async markSilent(run: Run, status: RunStatus, now: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE runs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND last_event_at IS NOT DISTINCT FROM $5',
      [status, now, run.id, run.status, run.last_event_at],
    );
    return rowCount === 1;
  }

  appendEvents(run: string, events: NewEvent[], now: number): Promise<AppendResult> {
    // In a transaction already (the service's, for a batch), no savepoint of its own: a failure
    // aborts that transaction, or the savepoint its caller opened for the batch, whole.
    const append = () => appendEvents(this.db, this.writeLock, run, events, now);
    return this.db.inTransaction() ? append() : this.transaction(append);
  }

  async recentEvents(run: string, types: readonly string[], limit: number): Promise<StoredEvent[]> {
    if (!types.length) return [];
    const rows = await this.events('WHERE run = $1 AND type = ANY($2::text[]) ORDER BY seq DESC LIMIT $3', [run, types, limit]);
    return rows.reverse();
  }

  async eventsOfTypesAfter(run: string, types: readonly string[], afterSeq: number, limit: number): Promise<StoredEvent[]> {
    if (!types.length) return [];
    return this.events('WHERE run = $1 AND type = ANY($2::text[]) AND seq > $3 ORDER BY seq LIMIT $4', [run, types, afterSeq, limit]);
  }

  async recentLogs(run: string, limit: number): Promise<string[]> {
    return (await this.recentEvents(run, ['log'], limit)).map((e) => (e as { message: string }).message);
  }

  eventsAfter(run: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.events('WHERE run = $1 AND seq > $2 ORDER BY seq LIMIT $3', [run, afterSeq, limit]);
  }

  async eventsAfterGlobal(afterGid: number, limit: number, project?: string): Promise<StoredEvent[]> {
    if (!project) return this.events('WHERE gid > $1 ORDER BY gid LIMIT $2', [afterGid, limit]);
    const { rows } = await this.db.query<EventRow>(
      `SELECT e.gid, e.run, e.seq, e.ts, e.event_id, e.body FROM events e JOIN runs r ON r.id = e.run
       WHERE e.gid > $1 AND r.project = $2 ORDER BY e.gid LIMIT $3`,
      [afterGid, project, limit],
    );
    return rows.map(toEvent);
  }

  async lastGid(): Promise<number> {
    const { rows } = await this.db.query<{ gid: number | null }>('SELECT MAX(gid) AS gid FROM events');
    return rows[0].gid ?? 0;
  }

  /** A page at a time, each a query of its own: no connection stays held while the caller works through a long run. */
  async *replay(run: string, afterSeq = 0): AsyncGenerator<StoredEvent> {
    for (let after = afterSeq; ; ) {
      const page = await this.eventsAfter(run, after, REPLAY_PAGE);
      yield* page;
      if (page.length < REPLAY_PAGE) return;
      after = page[page.length - 1].seq;
    }
  }

  metricNames(run: string): Promise<string[]> {
    return this.series.names(run);
  }

  points(run: string, query: MetricsQuery): Promise<MetricPoint[]> {
    return seriesPoints(this.series, run, query.names);
  }

  async saveFinding(f: Finding): Promise<void> {
    await this.db.query(
      `INSERT INTO findings (id, run, kind, severity, status, step, epoch, seen_step, seen_epoch, message, evidence, actions, created_at, updated_at, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, status = excluded.status, message = excluded.message,
         seen_step = excluded.seen_step, seen_epoch = excluded.seen_epoch,
         evidence = excluded.evidence, actions = excluded.actions, updated_at = excluded.updated_at,
         resolved_at = excluded.resolved_at`,
      [
        f.id,
        f.run,
        f.kind,
        f.severity,
        f.status,
        f.step,
        f.epoch,
        f.seen_step ?? f.step,
        f.seen_epoch ?? f.epoch,
        f.message,
        stringifyJson(f.evidence),
        JSON.stringify(f.actions),
        f.created_at,
        f.updated_at,
        f.resolved_at,
      ],
    );
  }

  async findings(run: string, status?: 'open' | 'resolved'): Promise<Finding[]> {
    const { rows } = await this.db.query<FindingRow>(
      `SELECT id, run, kind, severity, status, step, epoch, seen_step, seen_epoch, message, evidence, actions, created_at, updated_at, resolved_at
       FROM findings WHERE run = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at, id COLLATE "C"`,
      [run, status ?? null],
    );
    return rows.map(toFinding);
  }

  async saveReadReport(run: string, source: ReadSource, report: ReadReport, now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO read_reports (run, source, report, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (run, source) DO UPDATE SET report = excluded.report, updated_at = excluded.updated_at`,
      [run, source, JSON.stringify(report), now],
    );
  }

  async readReports(run: string): Promise<Partial<Record<ReadSource, ReadReport>>> {
    const { rows } = await this.db.query<{ source: string; report: string }>('SELECT source, report FROM read_reports WHERE run = $1 ORDER BY source COLLATE "C"', [run]);
    const out: Partial<Record<ReadSource, ReadReport>> = {};
    for (const row of rows) out[ReadSource.parse(row.source)] = ReadReport.parse(JSON.parse(row.report));
    return out;
  }

  /** Nothing to keep: the commit that stored the events was durable when it returned. */
  async acknowledged(): Promise<void> {}

  /**
   * What the start-up check found (see open.ts): the server's own storage is its concern, so what
   * is checked here is that the schema is one this code knows. No acknowledgement ledger is kept,
   * so no acknowledged event can be found missing.
   */
  async integrityReport(): Promise<IntegrityReport> {
    return { ok: !this.problems.length, checked_at: this.checkedAt, problems: this.problems, lost: [], ledger_error: null };
  }

  async close(): Promise<void> {
    await this.commits.stop();
    return this.db.close();
  }

  private async runs(clause: string, params: unknown[] = []): Promise<Run[]> {
    const { rows } = await this.db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs ${clause}`, params);
    return rows.map(toRun);
  }

  private async events(clause: string, params: unknown[]): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ${clause}`, params);
    return rows.map(toEvent);
  }
}
