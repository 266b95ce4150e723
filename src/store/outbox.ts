// The alert stream and the webhook delivery outbox, plus the small state alerts depend on
// (throttle times), all written in the caller's transaction.
import type { Severity } from '../domain/findings.ts';
import type { Alert, Delivery, DeliveryStatus } from '../domain/webhooks.ts';

export type { Alert, Delivery, DeliveryStatus };

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

export interface OutboxStore {
  insertAlert(alert: NewAlert): Promise<Alert>;
  getAlert(id: string): Promise<Alert | undefined>;
  setAnalysis(alertId: string, analysis: string): Promise<void>;
  listAlerts(filter: AlertFilter): Promise<Alert[]>;
  insertDelivery(id: string, webhookId: string, alert: Alert, now: number): Promise<void>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /**
   * Pending deliveries whose time has come, oldest first, leaving out those already in flight,
   * claimed by the caller until `leaseUntil`: where several replicas share the outbox, none of
   * them is handed a delivery another holds under a lease not yet ended.
   */
  due(now: number, limit: number, inFlight: Iterable<string>, leaseUntil: number): Promise<Delivery[]>;
  /** Claims one pending delivery until `leaseUntil` (sent now on request); undefined when it is not pending or another holds it. */
  claim(id: string, now: number, leaseUntil: number): Promise<Delivery | undefined>;
  /** Gives back claims of deliveries not attempted (a replica stopping), so another sends them without waiting for the lease. */
  release(ids: Iterable<string>): Promise<void>;
  /** When the next pending delivery not in flight is due; undefined when none is pending. */
  nextDueAt(inFlight: Iterable<string>): Promise<number | undefined>;
  recordAttempt(id: string, record: AttemptRecord): Promise<void>;
  listDeliveries(webhookId: string, limit: number): Promise<Delivery[]>;
  deleteDeliveries(webhookId: string): Promise<void>;
  lastRaisedAt(runId: string, kind: string): Promise<number | undefined>;
  setLastRaised(runId: string, kind: string, at: number): Promise<void>;
  /** Drops per-run alert state once a run has finished: it can no longer be throttled. */
  forgetRun(runId: string): Promise<void>;
  /** Removes finished deliveries and alerts created before `before`; pending work is kept. */
  prune(before: number): Promise<void>;
}
