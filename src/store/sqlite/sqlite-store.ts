import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { isServiceEvent, type StoredEvent } from '../../domain/events.ts';
import type { Finding } from '../../domain/findings.ts';
import { setOwn } from '../../domain/own.ts';
import type { CreateRunInput, MetricPoint, Run, RunColumns, RunListQuery, RunStatus } from '../../domain/runs.ts';
import { stringifyEvent, stringifyJson } from '../../domain/values.ts';
import { ReadReport, ReadSource } from '../../domain/read-report.ts';
import { migrate } from './migrations.ts';
import { AckLedger } from './ledger.ts';
import type { IntegrityReport, LostEvents } from '../../domain/integrity.ts';
import { SqliteConnection, type TransactionOptions } from './connection.ts';
import { appendStatements, writeAppend, type AppendPlan } from './append-rows.js';
import { AppendWriter } from './writer.ts';
import { Checkpointer } from './checkpointer.ts';
import { WalSync, type Fsync } from './wal-sync.ts';
import { SeriesRepo } from './series-repo.ts';
import { SnapshotsRepo } from './snapshots-repo.ts';
import { OutboxRepo } from './outbox-repo.ts';
import { WebhooksRepo } from './webhooks-repo.ts';
import { SqliteLeases } from './leases-repo.ts';
import { UsageRepo } from './usage-repo.ts';
import { SuggestionsRepo } from './suggestions-repo.ts';
import { SourcesRepo } from './sources-repo.ts';
import { ControlRepo } from './control-repo.ts';
import { ExperimentsRepo } from './experiments-repo.ts';
import { LoggedModelsRepo } from './logged-models-repo.ts';
import { MlflowMetricsRepo } from './mlflow-metrics-repo.ts';
import type { AppendResult, DeletedRun, MetricsQuery, NewEvent, RunPatch, RunRequest, Store } from '../store.ts';
import { namePairs, RUN_PATCH_JSON, toEvent, toFinding, toRun, type EventRow, type FindingRow, type RunRow } from '../rows.ts';
import { seriesPoints } from '../series.ts';

/**
 * The biggest batch the writer thread takes. Many small batches are what hold the service's
 * thread (a thousand trainers); big batches come one after another from one sender (REST batches
 * of 1,000 events, an import's slices of 250), whose next batch waits for the last one's commit
 * either way: the copy to the writer and back only made them later (REST batches of 1,000 events,
 * one pair at a load average of 5: 44.8 % of the raw insert rate through the writer, 50.4 %
 * written here; a 100k-line import 7.7 s against 5.8 s).
 */
const OFF_THREAD_EVENTS = 100;

/** Events per query of a replay. */
const REPLAY_PAGE = 1000;

/** Newest first: by creation time, then by insertion order for runs created in the same millisecond. */
const NEWEST = 'ORDER BY created_at DESC, rowid DESC';

/** A metric's latest value: the last point of the run's series of that name (NaN is stored as NULL). */
const LATEST_VALUE = 'SELECT x.value FROM series s JOIN samples x ON x.series = s.id AND x.i = s.count - 1 WHERE s.run = runs.id AND s.name = ?';

/**
 * The list's ORDER BY for a `sort` of RunListQuery. A config key or metric is read per row from
 * that row's JSON or through the series' unique key, so sorting thousands of runs stays cheap;
 * runs without the value come last either way, then the newest first.
 */
function listOrder(sort: string | undefined): { sql: string; args: string[] } {
  if (!sort) return { sql: NEWEST, args: [] };
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const dir = desc ? 'DESC' : 'ASC';
  const then = 'created_at DESC, rowid DESC';
  const column: Record<string, string> = { created: 'created_at', updated: 'updated_at', name: 'name COLLATE NOCASE', project: 'project COLLATE NOCASE', status: 'status' };
  if (Object.hasOwn(column, key)) return { sql: `ORDER BY ${column[key]} ${dir}, ${then}`, args: [] };
  const room = key.slice(0, key.indexOf('.'));
  const name = key.slice(room.length + 1);
  if (room === 'summary') return { sql: `ORDER BY (${LATEST_VALUE}) IS NULL, (${LATEST_VALUE}) ${dir}, ${then}`, args: [name, name] };
  // A dotted key is a top-level key with dots in it, or else a nested one, as flattened configs name them.
  const quote = (k: string) => `"${k.replaceAll('"', '')}"`;
  const value = 'COALESCE(json_extract(runs.config, ?), json_extract(runs.config, ?))';
  const paths = [`$.${quote(name)}`, `$.${name.split('.').map(quote).join('.')}`];
  return { sql: `ORDER BY ${value} IS NULL, ${value} ${dir}, ${then}`, args: [...paths, ...paths] };
}

/**
 * The embedded store: one SQLite file in WAL mode. A commit is durable against power loss, not
 * only a process crash, before its caller goes on, which is what "acknowledged" promises a
 * trainer: the log is flushed off the event loop (see WalSync), and checkpoints run in a worker
 * (see Checkpointer).
 */
export class SqliteStore implements Store {
  /** The handle itself, for the SQLite engine's own tests and bench; callers go through the interfaces. */
  readonly db: Database.Database;
  readonly integrity: IntegrityReport;
  readonly series: SeriesRepo;
  readonly snapshots: SnapshotsRepo;
  readonly outbox: OutboxRepo;
  readonly webhooks: WebhooksRepo;
  readonly usage: UsageRepo;
  readonly leases = new SqliteLeases();
  readonly writesOnThread = true;
  readonly suggestions: SuggestionsRepo;
  readonly sources: SourcesRepo;
  readonly control: ControlRepo;
  readonly experiments: ExperimentsRepo;
  readonly loggedModels: LoggedModelsRepo;
  readonly mlflowMetrics: MlflowMetricsRepo;
  private readonly conn: SqliteConnection;
  private readonly ledger: AckLedger | undefined;
  private readonly stmts;
  private readonly rows;

  private readonly wal: WalSync | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly writer: AppendWriter | undefined;

  /** `fsync`: how the log is flushed (tests hold or fail it). */
  constructor(path: string, opts: { fsync?: Fsync } = {}) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // Taken before the database is touched: a second server stops here, having changed nothing.
      this.ledger = new AckLedger(path);
    }
    let opened: Database.Database | undefined;
    try {
      opened = this.db = new Database(path);
      opened.pragma('journal_mode = WAL');
      // FULL until the start-up writes (migrations, the integrity check) are in: durable without the flushes below.
      opened.pragma('synchronous = FULL');
      opened.pragma('busy_timeout = 5000');
      opened.pragma('foreign_keys = ON');
      migrate(opened);
    } catch (err) {
      // A file that cannot be opened or migrated is let go whole, so the caller can retry or remove it.
      opened?.close();
      this.ledger?.close();
      throw err;
    }
    const rows = (this.rows = appendStatements(this.db));
    const conn = (this.conn = new SqliteConnection(
      this.db,
      () => this.wal?.sync() ?? Promise.resolve(),
      (plan) => writeAppend(rows, plan),
      () => this.writer,
    ));
    this.series = new SeriesRepo(conn, rows);
    this.snapshots = new SnapshotsRepo(conn);
    this.outbox = new OutboxRepo(conn);
    this.webhooks = new WebhooksRepo(conn);
    this.usage = new UsageRepo(conn);
    this.suggestions = new SuggestionsRepo(conn);
    this.sources = new SourcesRepo(conn);
    this.control = new ControlRepo(conn);
    this.experiments = new ExperimentsRepo(conn);
    this.loggedModels = new LoggedModelsRepo(conn);
    this.mlflowMetrics = new MlflowMetricsRepo(conn);
    const db = this.db;
    this.stmts = {
      insertRun: db.prepare(
        `INSERT INTO runs (id, project, name, status, config, meta, tags, total_epochs, total_steps, stage, dataset,
           base_model, parent_run, created_at, updated_at)
         VALUES (@id, @project, @name, 'running', @config, @meta, @tags, @total_epochs, @total_steps, @stage, @dataset,
           @base_model, @parent_run, @now, @now)`,
      ),
      getRun: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?'),
      findRun: db.prepare<[string, string], RunRow>(`SELECT * FROM runs WHERE project = ? AND name = ? ${NEWEST}`),
      runsByName: db.prepare<[string], RunRow>(`SELECT * FROM runs WHERE name = ? ${NEWEST}`),
      runRequest: db.prepare<[string], RunRequest>('SELECT run, fingerprint FROM run_requests WHERE key = ?'),
      saveRunRequest: db.prepare<[string, string, string, number]>('INSERT INTO run_requests (key, run, fingerprint, created_at) VALUES (?, ?, ?, ?)'),
      deletedRun: db.prepare<[string], DeletedRun>('SELECT * FROM deleted_runs WHERE id = ?'),
      tombstone: db.prepare<[string, string, string, number]>('INSERT OR REPLACE INTO deleted_runs (id, project, name, deleted_at) VALUES (?, ?, ?, ?)'),
      silent: db.prepare<[number, number], RunRow>(
        `SELECT * FROM runs WHERE status = 'running' AND COALESCE(last_event_at, created_at) <= ?
         UNION ALL SELECT * FROM runs WHERE status = 'stalled' AND COALESCE(last_event_at, created_at) <= ?`,
      ),
      lastSeq: db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM runs WHERE id = ?'),
      hasEventId: db.prepare<[string, string], { seq: number }>('SELECT seq FROM events WHERE run = ? AND event_id = ?'),
      eventsAfter: db.prepare<[string, number, number], EventRow>(
        'SELECT gid, run, seq, ts, event_id, body FROM events WHERE run = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      eventsAfterGlobal: db.prepare<[number, number], EventRow>(
        'SELECT gid, run, seq, ts, event_id, body FROM events WHERE gid > ? ORDER BY gid LIMIT ?',
      ),
      eventsAfterGlobalProject: db.prepare<[number, string, number], EventRow>(
        `SELECT e.gid, e.run, e.seq, e.ts, e.event_id, e.body FROM events e JOIN runs r ON r.id = e.run
         WHERE e.gid > ? AND r.project = ? ORDER BY e.gid LIMIT ?`,
      ),
      lastGid: db.prepare<[], { gid: number | null }>('SELECT MAX(gid) AS gid FROM events'),
      saveFinding: db.prepare(
        `INSERT INTO findings (id, run, kind, severity, status, step, epoch, seen_step, seen_epoch, message, evidence, actions, created_at, updated_at, resolved_at)
         VALUES (@id, @run, @kind, @severity, @status, @step, @epoch, @seen_step, @seen_epoch, @message, @evidence, @actions, @created_at, @updated_at, @resolved_at)
         ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, status = excluded.status, message = excluded.message,
           seen_step = excluded.seen_step, seen_epoch = excluded.seen_epoch,
           evidence = excluded.evidence, actions = excluded.actions, updated_at = excluded.updated_at,
           resolved_at = excluded.resolved_at`,
      ),
      findings: db.prepare<[string], FindingRow>('SELECT * FROM findings WHERE run = ? ORDER BY created_at, id'),
      saveReadReport: db.prepare<[string, string, string, number]>(
        `INSERT INTO read_reports (run, source, report, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (run, source) DO UPDATE SET report = excluded.report, updated_at = excluded.updated_at`,
      ),
      readReports: db.prepare<[string], { source: string; report: string }>('SELECT source, report FROM read_reports WHERE run = ? ORDER BY source'),
      findingsByStatus: db.prepare<[string, string], FindingRow>(
        'SELECT * FROM findings WHERE run = ? AND status = ? ORDER BY created_at, id',
      ),
    };
    this.integrity = this.checkIntegrity();
    if (path === ':memory:') return;
    try {
      this.wal = new WalSync(path, opts.fsync);
      this.wal.open();
      this.db.pragma('synchronous = NORMAL');
      this.writer = new AppendWriter(path);
      this.checkpointer = new Checkpointer(path, (pragma) => void this.pragma(pragma).catch(() => {}));
    } catch (err) {
      void this.writer?.close();
      this.wal?.close();
      this.db.close();
      this.ledger?.close();
      throw err;
    }
  }

  /**
   * The start-up check: SQLite's quick_check of the file, and each run's stored log against the
   * last seq acknowledged for it. A run that lost acknowledged events continues after the lost
   * numbers, so a client that heard them is never handed other events under the same seq.
   */
  private checkIntegrity(): IntegrityReport {
    const problems = (this.db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check).filter((r) => r !== 'ok');
    const lost: LostEvents[] = [];
    for (const { run, seq } of this.ledger?.all() ?? []) {
      const row = this.stmts.getRun.get(run);
      if (row && row.last_seq >= seq) continue;
      if (!row && this.stmts.deletedRun.get(run)) {
        this.ledger!.forgetRun(run);
        continue;
      }
      lost.push({ run, name: row?.name ?? null, acknowledged_seq: seq, stored_seq: row?.last_seq ?? 0 });
      if (row) this.db.prepare('UPDATE runs SET last_seq = ? WHERE id = ?').run(seq, run);
      // A run lost whole has nothing to continue; it is reported this once.
      else this.ledger!.forgetRun(run);
    }
    return { ok: !problems.length && !lost.length, checked_at: Date.now(), problems, lost, ledger_error: null };
  }

  async acknowledged(lastSeqs: Map<string, number>): Promise<void> {
    this.ledger?.acknowledged(lastSeqs);
  }

  /** The start-up report, with any later failure to keep the acknowledgement ledger. */
  async integrityReport(): Promise<IntegrityReport> {
    return { ...this.integrity, ledger_error: this.ledger?.lastError ?? null };
  }

  transaction<T>(fn: () => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.conn.transaction(fn, opts);
  }

  /**
   * Sets a pragma on every connection that writes (this one and the writer thread's): a
   * connection's own settings and limits, such as `wal_autocheckpoint`, or `max_page_count` with
   * which the fault tests fill the disk.
   */
  async pragma(pragma: string): Promise<void> {
    if (!this.db.open) return;
    this.db.pragma(pragma);
    if (this.writer?.alive) await this.writer.pragma(pragma);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  createRun(input: CreateRunInput, now: number): Promise<Run> {
    return this.conn.write(() => {
      const id = input.id ?? randomUUID().replaceAll('-', '');
      this.stmts.insertRun.run({
        id,
        project: input.project,
        name: input.name,
        config: stringifyJson(input.config),
        meta: stringifyJson(input.meta),
        tags: stringifyJson(input.tags),
        total_epochs: input.total_epochs ?? null,
        total_steps: input.total_steps ?? null,
        stage: input.stage ?? null,
        dataset: input.dataset ?? null,
        base_model: input.base_model ?? null,
        parent_run: input.parent_run ?? null,
        now,
      });
      return this.run(id)!;
    });
  }

  private run(id: string): Run | undefined {
    const row = this.stmts.getRun.get(id);
    return row && toRun(row);
  }

  async getRun(id: string): Promise<Run | undefined> {
    return this.run(id);
  }

  async findRun(project: string, name: string): Promise<Run | undefined> {
    const row = this.stmts.findRun.get(project, name);
    return row && toRun(row);
  }

  async resolveRun(ref: string): Promise<Run | undefined> {
    return this.resolve(ref);
  }

  private resolve(ref: string): Run | undefined {
    return this.run(ref) ?? this.named(ref)[0];
  }

  async runsNamed(ref: string): Promise<Run[]> {
    return this.named(ref);
  }

  private named(ref: string): Run[] {
    const pairs = namePairs(ref);
    // A `project/name` spelling wins over a bare name that happens to hold a slash.
    if (pairs.length) {
      const rows = this.db
        .prepare(`SELECT * FROM runs WHERE ${pairs.map(() => '(project = ? AND name = ?)').join(' OR ')} ${NEWEST}`)
        .all(...pairs.flat()) as RunRow[];
      if (rows.length) return rows.map(toRun);
    }
    return this.stmts.runsByName.all(ref).map(toRun);
  }

  async runRequest(key: string): Promise<RunRequest | undefined> {
    return this.stmts.runRequest.get(key);
  }

  async saveRunRequest(key: string, request: RunRequest, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.saveRunRequest.run(key, request.run, request.fingerprint, now));
  }

  async deletedRun(id: string): Promise<DeletedRun | undefined> {
    return this.stmts.deletedRun.get(id);
  }

  deleteRun(id: string, now: number): Promise<Record<string, number>> {
    return this.conn.write(() => this.db.transaction(() => this.deleteRows(id, now))());
  }

  private deleteRows(id: string, now: number): Record<string, number> {
    const run = this.run(id);
    if (!run) return {};
    const removed: Record<string, number> = {};
    const count = (table: string, n: number) => {
      if (n) removed[table] = (removed[table] ?? 0) + n;
    };
    // Found by their columns rather than listed: a table added later for another concern cannot be forgotten.
    const keyed = this.db
      .prepare(
        `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND p.name IN ('run', 'run_id') ORDER BY m.name`,
      )
      .all() as Array<{ tbl: string; col: string }>;
    // Deliveries point at alerts, not runs: they go with the run's alerts.
    count('webhook_deliveries', this.db.prepare('DELETE FROM webhook_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE run_id = ?)').run(id).changes);
    // Points and their summaries are keyed by their series, which go with the run.
    for (const tbl of ['samples', 'series_buckets']) count(tbl, this.db.prepare(`DELETE FROM ${tbl} WHERE series IN (SELECT id FROM series WHERE run = ?)`).run(id).changes);
    for (const { tbl, col } of keyed) count(tbl, this.db.prepare(`DELETE FROM "${tbl}" WHERE "${col}" = ?`).run(id).changes);
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
    this.stmts.tombstone.run(id, run.project, run.name, now);
    this.ledger?.forgetRun(id);
    return removed;
  }

  async listRuns(query: RunListQuery): Promise<{ runs: Array<Run & { open_findings: number }>; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.project) {
      where.push('project = ?');
      args.push(query.project);
    }
    if (query.name) {
      where.push('name = ?');
      args.push(query.name);
    }
    if (query.status) {
      where.push('status = ?');
      args.push(query.status);
    }
    for (const tag of query.tag) {
      const eq = tag.indexOf('=');
      if (eq < 0) {
        where.push('EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE key = ?)');
        args.push(tag);
      } else {
        where.push('EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE key = ? AND value = ?)');
        args.push(tag.slice(0, eq), tag.slice(eq + 1));
      }
    }
    for (const word of query.q ?? []) {
      where.push('(instr(lower(name), ?) OR instr(lower(project), ?) OR instr(lower(tags), ?) OR instr(lower(config), ?))');
      args.push(word, word, word, word);
    }
    if (query.archived === false) where.push('archived_at IS NULL');
    else if (query.archived === 'only') where.push('archived_at IS NOT NULL');
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM runs ${clause}`).get(...args) as { n: number }).n;
    const order = listOrder(query.sort);
    const rows = this.db
      .prepare(
        `SELECT runs.*, (SELECT COUNT(*) FROM findings f WHERE f.run = runs.id AND f.status = 'open') AS open_findings
         FROM runs ${clause} ${order.sql} LIMIT ? OFFSET ?`,
      )
      .all(...args, ...order.args, query.limit, query.offset) as Array<RunRow & { open_findings: number }>;
    return { runs: rows.map((r) => ({ ...toRun(r), open_findings: r.open_findings })), total };
  }

  async runColumns(ids: string[]): Promise<Map<string, RunColumns>> {
    const out = new Map<string, RunColumns>(ids.map((id) => [id, { summary: Object.create(null), open_by_severity: { critical: 0, warning: 0, info: 0 } }]));
    if (!ids.length) return out;
    const marks = ids.map(() => '?').join(', ');
    const latest = this.db
      .prepare(`SELECT s.run, s.name, x.value FROM series s JOIN samples x ON x.series = s.id AND x.i = s.count - 1 WHERE s.run IN (${marks})`)
      .all(...ids) as Array<{ run: string; name: string; value: number | null }>;
    for (const r of latest) setOwn(out.get(r.run)!.summary, r.name, r.value ?? NaN);
    const open = this.db
      .prepare(`SELECT run, severity, COUNT(*) AS n FROM findings WHERE run IN (${marks}) AND status = 'open' GROUP BY run, severity`)
      .all(...ids) as Array<{ run: string; severity: keyof RunColumns['open_by_severity']; n: number }>;
    for (const r of open) out.get(r.run)!.open_by_severity[r.severity] = r.n;
    return out;
  }

  async childRuns(run: Run): Promise<Run[]> {
    // A parent named by project/name or name is the newest run with it, as everywhere: an older
    // run with the same name is not the parent of stages declared after a newer one.
    const refs = [run.id, `${run.project}/${run.name}`, run.name].filter((ref, i) => i === 0 || this.resolve(ref)?.id === run.id);
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE parent_run IN (${refs.map(() => '?').join(', ')}) ORDER BY created_at`)
      .all(...refs) as RunRow[];
    return rows.map(toRun);
  }

  async lineageRuns(): Promise<Run[]> {
    const rows = this.db.prepare('SELECT * FROM runs WHERE parent_run IS NOT NULL OR stage IS NOT NULL ORDER BY created_at').all() as RunRow[];
    return rows.map(toRun);
  }

  async recentEvents(run: string, types: readonly string[], limit: number): Promise<StoredEvent[]> {
    if (!types.length) return [];
    const rows = this.db
      .prepare<unknown[], EventRow>(
        `SELECT gid, run, seq, ts, event_id, body FROM events WHERE run = ? AND type IN (${types.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT ?`,
      )
      .all(run, ...types, limit);
    return rows.reverse().map(toEvent);
  }

  async eventsOfTypesAfter(run: string, types: readonly string[], afterSeq: number, limit: number): Promise<StoredEvent[]> {
    if (!types.length) return [];
    const rows = this.db
      .prepare<unknown[], EventRow>(
        `SELECT gid, run, seq, ts, event_id, body FROM events WHERE run = ? AND type IN (${types.map(() => '?').join(', ')}) AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .all(run, ...types, afterSeq, limit);
    return rows.map(toEvent);
  }

  async recentLogs(run: string, limit: number): Promise<string[]> {
    return (await this.recentEvents(run, ['log'], limit)).map((e) => (e as { message: string }).message);
  }

  async silentRuns(stallBefore: number, lostBefore: number): Promise<Run[]> {
    return this.stmts.silent.all(stallBefore, lostBefore).map(toRun);
  }

  async updateRun(id: string, patch: RunPatch, now: number): Promise<void> {
    const keys = Object.keys(patch) as (keyof RunPatch)[];
    if (!keys.length) return;
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    const values: Record<string, unknown> = { id, now };
    for (const k of keys) values[k] = RUN_PATCH_JSON.has(k) ? stringifyJson(patch[k]) : (patch[k] ?? null);
    await this.conn.write(() => this.db.prepare(`UPDATE runs SET ${sets}, updated_at = @now WHERE id = @id`).run(values));
  }

  async markSilent(run: Run, status: RunStatus, now: number): Promise<boolean> {
    const sql = 'UPDATE runs SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND last_event_at IS ?';
    return (await this.conn.write(() => this.db.prepare(sql).run(status, now, run.id, run.status, run.last_event_at))).changes === 1;
  }

  /**
   * In a transaction of batches, a batch of up to OFF_THREAD_EVENTS events is planned here and
   * written by the writer thread at the commit (see SqliteConnection); otherwise planned and
   * written here. Its events get their gid when written: before the commit, which is before
   * anyone hears of them.
   */
  appendEvents(run: string, events: NewEvent[], now: number): Promise<AppendResult> {
    let planned: { plan: AppendPlan; result: AppendResult } | undefined;
    const plan = () => (planned = this.plan(run, events, now)).plan;
    const gids = (ids: number[]) => ids.forEach((gid, i) => (planned!.result.stored[i].gid = gid));
    try {
      if (events.length <= OFF_THREAD_EVENTS && this.conn.offThread(run, plan, gids)) return Promise.resolve(planned!.result);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.conn.write(() => {
      gids(writeAppend(this.rows, plan()));
      return planned!.result;
    });
  }

  /** A batch's rows, from what is stored: its new events numbered on, the keys already stored skipped. */
  private plan(run: string, events: NewEvent[], now: number): { plan: AppendPlan; result: AppendResult } {
    const row = this.stmts.lastSeq.get(run);
    if (!row) throw new Error(`run ${run} does not exist`);
    let seq = row.last_seq;
    let duplicates = 0;
    const seen = new Set<string>();
    const stored: StoredEvent[] = [];
    const rows: AppendPlan['events'] = [];
    const { hasEventId } = this.stmts;
    const points = this.series.plan(run);
    for (const e of events) {
      if (e.event_id !== undefined) {
        if (seen.has(e.event_id) || hasEventId.get(run, e.event_id)) {
          duplicates++;
          continue;
        }
        seen.add(e.event_id);
      }
      seq++;
      const body = e.body;
      rows.push(seq, e.ts, body.type, e.event_id ?? null, stringifyEvent(body));
      if (body.type === 'metrics') {
        const step = body.step ?? null;
        const epoch = body.epoch ?? null;
        for (const name in body.values) points.add(name, step, epoch, body.values[name], e.ts, seq);
      }
      // The body becomes the stored event in place: copying a thousand event objects per batch
      // was a fifth of the cost of a batch (npm run bench). Its gid is set once it is written.
      const event = Object.assign(body, { run, seq, gid: 0, ts: e.ts }) as StoredEvent;
      if (e.event_id !== undefined) event.event_id = e.event_id;
      stored.push(event);
    }
    const plan: AppendPlan = {
      run,
      now,
      events: rows,
      series: points.rows(),
      // What the service writes itself (findings, control requests) is no sign of the trainer's life.
      trainer: stored.some((e) => !isServiceEvent(e)),
      lastSeq: stored.length ? seq : undefined,
    };
    return { plan, result: { stored, duplicates } };
  }

  async eventsAfter(run: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.stmts.eventsAfter.all(run, afterSeq, limit).map(toEvent);
  }

  async eventsAfterGlobal(afterGid: number, limit: number, project?: string): Promise<StoredEvent[]> {
    const rows = project
      ? this.stmts.eventsAfterGlobalProject.all(afterGid, project, limit)
      : this.stmts.eventsAfterGlobal.all(afterGid, limit);
    return rows.map(toEvent);
  }

  async lastGid(): Promise<number> {
    return this.stmts.lastGid.get()?.gid ?? 0;
  }

  /** A page at a time, so a long replay holds no statement open across the caller's awaits. */
  async *replay(run: string, afterSeq = 0): AsyncGenerator<StoredEvent> {
    for (let after = afterSeq; ; ) {
      const rows = this.stmts.eventsAfter.all(run, after, REPLAY_PAGE);
      for (const row of rows) yield toEvent(row);
      if (rows.length < REPLAY_PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  }

  metricNames(run: string): Promise<string[]> {
    return this.series.names(run);
  }

  points(run: string, query: MetricsQuery): Promise<MetricPoint[]> {
    return seriesPoints(this.series, run, query.names);
  }

  async saveFinding(f: Finding): Promise<void> {
    const row = { ...f, seen_step: f.seen_step ?? f.step, seen_epoch: f.seen_epoch ?? f.epoch, evidence: stringifyJson(f.evidence), actions: JSON.stringify(f.actions) };
    await this.conn.write(() => this.stmts.saveFinding.run(row));
  }

  async findings(run: string, status?: 'open' | 'resolved'): Promise<Finding[]> {
    const rows = status ? this.stmts.findingsByStatus.all(run, status) : this.stmts.findings.all(run);
    return rows.map(toFinding);
  }

  async saveReadReport(run: string, source: ReadSource, report: ReadReport, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.saveReadReport.run(run, source, JSON.stringify(report), now));
  }

  async readReports(run: string): Promise<Partial<Record<ReadSource, ReadReport>>> {
    const out: Partial<Record<ReadSource, ReadReport>> = {};
    for (const row of this.stmts.readReports.all(run)) out[ReadSource.parse(row.source)] = ReadReport.parse(JSON.parse(row.report));
    return out;
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    await this.writer?.close();
    this.wal?.close();
    if (this.db.open) this.db.close();
    this.ledger?.close();
  }
}
