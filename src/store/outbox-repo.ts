// The alert stream and the webhook delivery outbox in SQLite, plus the small state alerts depend on
// (throttle times), all written in the caller's transaction.
import type Database from 'better-sqlite3';
import type { Severity } from '../domain/findings.ts';
import { SEVERITY_RANK } from '../domain/findings.ts';
import { stringifyJson } from '../domain/values.ts';
import type { Alert, AlertType, Delivery, DeliveryStatus } from '../domain/webhooks.ts';

interface AlertRow {
  seq: number;
  body: string;
  analysis: string | null;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  alert_id: string;
  alert_type: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  response_code: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export type NewAlert = Omit<Alert, 'seq'>;

export interface AlertFilter {
  after?: number;
  since?: number;
  run?: string;
  minSeverity?: Severity;
  limit: number;
}

/** The outcome of one delivery attempt. */
export interface AttemptRecord {
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  response_code: number | null;
  updated_at: number;
  delivered_at: number | null;
}

function toAlert(row: AlertRow): Alert {
  return { ...(JSON.parse(row.body) as Omit<Alert, 'seq' | 'analysis'>), seq: row.seq, analysis: row.analysis };
}

function toDelivery(row: DeliveryRow): Delivery {
  return { ...row, alert_type: row.alert_type as AlertType, status: row.status as DeliveryStatus };
}

export class OutboxRepo {
  private readonly statements;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        run_id TEXT NOT NULL,
        severity_rank INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL,
        analysis TEXT
      );
      CREATE INDEX IF NOT EXISTS alerts_run ON alerts (run_id, seq);
      CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_at);
      CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        alert_id TEXT NOT NULL,
        alert_type TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        response_code INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
      CREATE TABLE IF NOT EXISTS alert_throttle (
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        last_raised_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, kind)
      );
    `);
    this.statements = {
      insertAlert: db.prepare(
        `INSERT INTO alerts (id, type, run_id, severity_rank, created_at, body, analysis)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      getAlert: db.prepare('SELECT seq, body, analysis FROM alerts WHERE id = ?'),
      setAnalysis: db.prepare('UPDATE alerts SET analysis = ? WHERE id = ?'),
      // NULL parameters switch a filter off, so one statement serves every combination.
      listAlerts: db.prepare(
        `SELECT seq, body, analysis FROM alerts
         WHERE type != 'webhook.test' AND seq > @after AND created_at >= @since
           AND (@run IS NULL OR run_id = @run) AND severity_rank >= @rank
         ORDER BY seq LIMIT @limit`,
      ),
      insertDelivery: db.prepare(
        `INSERT INTO webhook_deliveries (id, webhook_id, alert_id, alert_type, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      ),
      getDelivery: db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?'),
      due: db.prepare(
        `SELECT * FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ? AND id NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_attempt_at LIMIT ?`,
      ),
      nextDue: db.prepare(
        `SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries
         WHERE status = 'pending' AND id NOT IN (SELECT value FROM json_each(?))`,
      ),
      recordAttempt: db.prepare(
        `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at,
           last_error = @last_error, response_code = @response_code, updated_at = @updated_at, delivered_at = @delivered_at
         WHERE id = @id`,
      ),
      listDeliveries: db.prepare(
        'SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
      ),
      deleteDeliveries: db.prepare('DELETE FROM webhook_deliveries WHERE webhook_id = ?'),
      lastRaised: db.prepare('SELECT last_raised_at AS at FROM alert_throttle WHERE run_id = ? AND kind = ?'),
      setLastRaised: db.prepare('INSERT OR REPLACE INTO alert_throttle (run_id, kind, last_raised_at) VALUES (?, ?, ?)'),
      forgetThrottle: db.prepare('DELETE FROM alert_throttle WHERE run_id = ?'),
      pruneDeliveries: db.prepare(
        `DELETE FROM webhook_deliveries WHERE status != 'pending' AND alert_id IN (SELECT id FROM alerts WHERE created_at < ?)`,
      ),
      pruneAlerts: db.prepare(
        `DELETE FROM alerts WHERE created_at < ?
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.alert_id = alerts.id)`,
      ),
    };
  }

  insertAlert(alert: NewAlert): Alert {
    const { analysis, ...body } = alert;
    const result = this.statements.insertAlert.run(
      alert.id,
      alert.type,
      alert.run.id,
      SEVERITY_RANK[alert.severity],
      alert.created_at,
      stringifyJson(body),
      analysis,
    );
    return { ...alert, seq: Number(result.lastInsertRowid) };
  }

  getAlert(id: string): Alert | undefined {
    const row = this.statements.getAlert.get(id) as AlertRow | undefined;
    return row && toAlert(row);
  }

  setAnalysis(alertId: string, analysis: string): void {
    this.statements.setAnalysis.run(analysis, alertId);
  }

  listAlerts(filter: AlertFilter): Alert[] {
    const rows = this.statements.listAlerts.all({
      after: filter.after ?? 0,
      since: filter.since ?? 0,
      run: filter.run ?? null,
      rank: filter.minSeverity ? SEVERITY_RANK[filter.minSeverity] : 0,
      limit: filter.limit,
    }) as AlertRow[];
    return rows.map(toAlert);
  }

  insertDelivery(id: string, webhookId: string, alert: Alert, now: number): void {
    this.statements.insertDelivery.run(id, webhookId, alert.id, alert.type, now, now, now);
  }

  getDelivery(id: string): Delivery | undefined {
    const row = this.statements.getDelivery.get(id) as DeliveryRow | undefined;
    return row && toDelivery(row);
  }

  /** Pending deliveries whose time has come, oldest first, leaving out those already in flight. */
  due(now: number, limit: number, inFlight: Iterable<string>): Delivery[] {
    const rows = this.statements.due.all(now, JSON.stringify([...inFlight]), limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  /** When the next pending delivery not in flight is due; undefined when none is pending. */
  nextDueAt(inFlight: Iterable<string>): number | undefined {
    const row = this.statements.nextDue.get(JSON.stringify([...inFlight])) as { at: number | null };
    return row.at ?? undefined;
  }

  recordAttempt(id: string, record: AttemptRecord): void {
    this.statements.recordAttempt.run({ id, ...record });
  }

  listDeliveries(webhookId: string, limit: number): Delivery[] {
    const rows = this.statements.listDeliveries.all(webhookId, limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  deleteDeliveries(webhookId: string): void {
    this.statements.deleteDeliveries.run(webhookId);
  }

  lastRaisedAt(runId: string, kind: string): number | undefined {
    const row = this.statements.lastRaised.get(runId, kind) as { at: number } | undefined;
    return row?.at;
  }

  setLastRaised(runId: string, kind: string, at: number): void {
    this.statements.setLastRaised.run(runId, kind, at);
  }

  /** Drops per-run alert state once a run has finished: it can no longer be throttled. */
  forgetRun(runId: string): void {
    this.statements.forgetThrottle.run(runId);
  }

  /** Removes finished deliveries and alerts created before `before`; pending work is kept. */
  prune(before: number): void {
    this.statements.pruneDeliveries.run(before);
    this.statements.pruneAlerts.run(before);
  }
}
