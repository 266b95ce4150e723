// The alert stream and the webhook delivery outbox in PostgreSQL, shared by every replica: a due
// delivery is claimed by one replica at a time under a lease, so it goes out once while its
// claimer lives and is taken over by another replica when that claimer dies.
import { SEVERITY_RANK } from '../../domain/findings.ts';
import { stringifyJson } from '../../domain/values.ts';
import type { Alert, Delivery } from '../../domain/webhooks.ts';
import type { AlertFilter, AttemptRecord, NewAlert, OutboxStore } from '../outbox.ts';
import { toAlert, toDelivery, type AlertRow, type DeliveryRow } from '../module-rows.ts';
import type { PgDatabase } from './pool.ts';

const DELIVERY_COLUMNS = `id, webhook_id, alert_id, alert_type, status, attempts, next_attempt_at, last_error, response_code,
  created_at, updated_at, delivered_at`;

export class PgOutboxStore implements OutboxStore {
  constructor(private readonly pg: PgDatabase) {}

  async insertAlert(alert: NewAlert): Promise<Alert> {
    const { analysis, ...body } = alert;
    // Alerts are polled by position (`after=<seq>`): a position taken by a transaction that commits
    // after a later one would be skipped by a poller that read in between. Transactions that
    // store alerts therefore take turns until they commit, so positions become visible in order.
    const { rows } = await this.pg.query<{ seq: number }>(
      `WITH turn AS (SELECT pg_advisory_xact_lock(hashtext('training-analyst alerts ' || current_schema())))
       INSERT INTO alerts (id, type, run_id, severity_rank, created_at, body, analysis)
       SELECT $1::text, $2::text, $3::text, $4::integer, $5::bigint, $6::text, $7::text FROM turn RETURNING seq`,
      [alert.id, alert.type, alert.run.id, SEVERITY_RANK[alert.severity], alert.created_at, stringifyJson(body), analysis],
    );
    return { ...alert, seq: rows[0]!.seq };
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    const { rows } = await this.pg.query<AlertRow>('SELECT seq, body, analysis FROM alerts WHERE id = $1', [id]);
    return rows[0] && toAlert(rows[0]);
  }

  async setAnalysis(alertId: string, analysis: string): Promise<void> {
    await this.pg.query('UPDATE alerts SET analysis = $1 WHERE id = $2', [analysis, alertId]);
  }

  async listAlerts(filter: AlertFilter): Promise<Alert[]> {
    // NULL parameters switch a filter off, so one statement serves every combination.
    const { rows } = await this.pg.query<AlertRow>(
      `SELECT seq, body, analysis FROM alerts
       WHERE type != 'webhook.test' AND seq > $1 AND created_at >= $2
         AND ($3::text IS NULL OR run_id = $3) AND severity_rank >= $4
       ORDER BY seq LIMIT $5`,
      [filter.after ?? 0, filter.since ?? 0, filter.run ?? null, filter.minSeverity ? SEVERITY_RANK[filter.minSeverity] : 0, filter.limit],
    );
    return rows.map(toAlert);
  }

  async insertDelivery(id: string, webhookId: string, alert: Alert, now: number): Promise<void> {
    await this.pg.query(
      `INSERT INTO webhook_deliveries (id, webhook_id, alert_id, alert_type, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)`,
      [id, webhookId, alert.id, alert.type, now],
    );
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const { rows } = await this.pg.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1`, [id]);
    return rows[0] && toDelivery(rows[0]);
  }

  /**
   * Claims pending deliveries whose time has come, oldest first, leaving out those in flight here
   * and those another replica holds under an unexpired lease. Rows another replica is claiming at
   * this moment are skipped, not waited for, so two replicas never claim the same delivery.
   */
  async due(now: number, limit: number, inFlight: Iterable<string>, leaseUntil: number): Promise<Delivery[]> {
    const { rows } = await this.pg.query<DeliveryRow>(
      `WITH claimable AS (
         SELECT id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
           AND NOT (id = ANY ($2::text[]))
         ORDER BY next_attempt_at, rowid LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d SET lease_until = $4 FROM claimable c WHERE d.id = c.id
       RETURNING ${DELIVERY_COLUMNS.replace(/(\w+)/g, 'd.$1')}`,
      [now, [...inFlight], limit, leaseUntil],
    );
    return rows.map(toDelivery).sort((a, b) => a.next_attempt_at! - b.next_attempt_at!);
  }

  async claim(id: string, now: number, leaseUntil: number): Promise<Delivery | undefined> {
    const { rows } = await this.pg.query<DeliveryRow>(
      `UPDATE webhook_deliveries SET lease_until = $3
       WHERE id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $2)
       RETURNING ${DELIVERY_COLUMNS}`,
      [id, now, leaseUntil],
    );
    return rows.length ? toDelivery(rows[0]) : undefined;
  }

  async release(ids: Iterable<string>): Promise<void> {
    const list = [...ids];
    if (list.length) await this.pg.query(`UPDATE webhook_deliveries SET lease_until = NULL WHERE id = ANY ($1::text[]) AND status = 'pending'`, [list]);
  }

  /**
   * When the next pending delivery not in flight here can be claimed (its time, or the end of
   * another replica's lease on it); undefined when none is pending.
   */
  async nextDueAt(inFlight: Iterable<string>): Promise<number | undefined> {
    const { rows } = await this.pg.query<{ at: number | null }>(
      `SELECT MIN(GREATEST(next_attempt_at, COALESCE(lease_until, 0))) AS at FROM webhook_deliveries
       WHERE status = 'pending' AND NOT (id = ANY ($1::text[]))`,
      [[...inFlight]],
    );
    return rows[0]!.at ?? undefined;
  }

  /** Ends the claim with the attempt: a retry is due at its own time, for whichever replica is free. */
  async recordAttempt(id: string, record: AttemptRecord): Promise<void> {
    await this.pg.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, response_code = $6,
         updated_at = $7, delivered_at = $8, lease_until = NULL
       WHERE id = $1`,
      [id, record.status, record.attempts, record.next_attempt_at, record.last_error, record.response_code, record.updated_at, record.delivered_at],
    );
  }

  async listDeliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    const { rows } = await this.pg.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, rowid DESC LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map(toDelivery);
  }

  async deleteDeliveries(webhookId: string): Promise<void> {
    await this.pg.query('DELETE FROM webhook_deliveries WHERE webhook_id = $1', [webhookId]);
  }

  async lastRaisedAt(runId: string, kind: string): Promise<number | undefined> {
    const { rows } = await this.pg.query<{ at: number }>('SELECT last_raised_at AS at FROM alert_throttle WHERE run_id = $1 AND kind = $2', [runId, kind]);
    return rows[0]?.at;
  }

  async setLastRaised(runId: string, kind: string, at: number): Promise<void> {
    await this.pg.query(
      `INSERT INTO alert_throttle (run_id, kind, last_raised_at) VALUES ($1, $2, $3)
       ON CONFLICT (run_id, kind) DO UPDATE SET last_raised_at = excluded.last_raised_at`,
      [runId, kind, at],
    );
  }

  /** Drops per-run alert state once a run has finished: it can no longer be throttled. */
  async forgetRun(runId: string): Promise<void> {
    await this.pg.query('DELETE FROM alert_throttle WHERE run_id = $1', [runId]);
  }

  /** Removes finished deliveries and alerts created before `before`; pending work is kept. */
  async prune(before: number): Promise<void> {
    await this.pg.query(
      `DELETE FROM webhook_deliveries WHERE status != 'pending' AND alert_id IN (SELECT id FROM alerts WHERE created_at < $1)`,
      [before],
    );
    await this.pg.query(
      `DELETE FROM alerts WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.alert_id = alerts.id)`,
      [before],
    );
  }
}
