import { SEVERITY_RANK } from '../../domain/findings.ts';
import { stringifyJson } from '../../domain/values.ts';
import type { Alert, Delivery } from '../../domain/webhooks.ts';
import type { AlertFilter, AttemptRecord, NewAlert, OutboxStore } from '../outbox.ts';
import { toAlert, toDelivery, type AlertRow, type DeliveryRow } from '../module-rows.ts';
import type { SqliteConnection } from './connection.ts';

/** The alert stream and the webhook delivery outbox in SQLite. */
export class OutboxRepo implements OutboxStore {
  private readonly statements;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
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

  insertAlert(alert: NewAlert): Promise<Alert> {
    const { analysis, ...body } = alert;
    return this.conn.write(() => {
      const result = this.statements.insertAlert.run(alert.id, alert.type, alert.run.id, SEVERITY_RANK[alert.severity], alert.created_at, stringifyJson(body), analysis);
      return { ...alert, seq: Number(result.lastInsertRowid) };
    });
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    const row = this.statements.getAlert.get(id) as AlertRow | undefined;
    return row && toAlert(row);
  }

  async setAnalysis(alertId: string, analysis: string): Promise<void> {
    await this.conn.write(() => this.statements.setAnalysis.run(analysis, alertId));
  }

  async listAlerts(filter: AlertFilter): Promise<Alert[]> {
    const rows = this.statements.listAlerts.all({
      after: filter.after ?? 0,
      since: filter.since ?? 0,
      run: filter.run ?? null,
      rank: filter.minSeverity ? SEVERITY_RANK[filter.minSeverity] : 0,
      limit: filter.limit,
    }) as AlertRow[];
    return rows.map(toAlert);
  }

  async insertDelivery(id: string, webhookId: string, alert: Alert, now: number): Promise<void> {
    await this.conn.write(() => this.statements.insertDelivery.run(id, webhookId, alert.id, alert.type, now, now, now));
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = this.statements.getDelivery.get(id) as DeliveryRow | undefined;
    return row && toDelivery(row);
  }

  // One process holds a SQLite outbox: what it is not sending itself is free, so claims need no record.
  async due(now: number, limit: number, inFlight: Iterable<string>): Promise<Delivery[]> {
    const rows = this.statements.due.all(now, JSON.stringify([...inFlight]), limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async claim(id: string): Promise<Delivery | undefined> {
    const delivery = await this.getDelivery(id);
    return delivery?.status === 'pending' ? delivery : undefined;
  }

  async release(): Promise<void> {}

  async nextDueAt(inFlight: Iterable<string>): Promise<number | undefined> {
    const row = this.statements.nextDue.get(JSON.stringify([...inFlight])) as { at: number | null };
    return row.at ?? undefined;
  }

  async recordAttempt(id: string, record: AttemptRecord): Promise<void> {
    await this.conn.write(() => this.statements.recordAttempt.run({ id, ...record }));
  }

  async listDeliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    const rows = this.statements.listDeliveries.all(webhookId, limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async deleteDeliveries(webhookId: string): Promise<void> {
    await this.conn.write(() => this.statements.deleteDeliveries.run(webhookId));
  }

  async lastRaisedAt(runId: string, kind: string): Promise<number | undefined> {
    const row = this.statements.lastRaised.get(runId, kind) as { at: number } | undefined;
    return row?.at;
  }

  async setLastRaised(runId: string, kind: string, at: number): Promise<void> {
    await this.conn.write(() => this.statements.setLastRaised.run(runId, kind, at));
  }

  async forgetRun(runId: string): Promise<void> {
    await this.conn.write(() => this.statements.forgetThrottle.run(runId));
  }

  async prune(before: number): Promise<void> {
    await this.conn.write(() => {
      this.statements.pruneDeliveries.run(before);
      this.statements.pruneAlerts.run(before);
    });
  }
}
