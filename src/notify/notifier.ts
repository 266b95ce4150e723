// The notifier: turns finding changes and run facts into alerts, writes them with their webhook
// deliveries in the caller's transaction, and runs the delivery worker.
import type Database from 'better-sqlite3';
import { AnalystError } from '../domain/errors.ts';
import type { FindingChange } from '../domain/findings.ts';
import type { Alert, AlertsQuery, CreateWebhookInput, Delivery, Webhook } from '../domain/webhooks.ts';
import type { NewAlert } from '../store/outbox-repo.ts';
import { OutboxRepo } from '../store/outbox-repo.ts';
import { WebhooksRepo } from '../store/webhooks-repo.ts';
import type { RunEnd, RunRef } from './alerts.ts';
import { findingAlert, findingAlertType, runEndAlert, runUrl, stalledAlert, testAlert } from './alerts.ts';
import type { Summarize } from './analysis.ts';
import { AlertAnalyses } from './analysis.ts';
import type { NotifierSettings } from './config.ts';
import { defaultSettings } from './config.ts';
import { timeOrderedId } from './ids.ts';
import type { NotifyLog } from './log.ts';
import { SILENT } from './log.ts';
import { ENV_WEBHOOK_ID, generateSecret, newWebhook, publicView, wants } from './subscriptions.ts';
import { assertWebhookUrl } from './url-guard.ts';
import { DeliveryWorker } from './worker.ts';

export type { NotifyLog, RunRef, Summarize };

export interface NotifierOptions extends Partial<NotifierSettings> {
  /** The store's handle: alerts and deliveries join the ingest transaction on it. */
  db: Database.Database;
  /** Base of run links in alerts: ANALYST_PUBLIC_URL, else the address the server listens on. */
  baseUrl: string | (() => string);
  /** The LLM analyst's short analysis of a finding, for subscriptions with include_analysis. */
  summarize?: Summarize;
  log?: NotifyLog;
  clock?: () => number;
  /** Jitter source for retries; tests pin it. */
  random?: () => number;
}

const HOUR = 3_600_000;
const THROTTLED = 'not sent to webhooks: raised again within ANALYST_ALERT_COOLDOWN of the last raise';

export class Notifier {
  readonly settings: NotifierSettings;
  private readonly db: Database.Database;
  private readonly outbox: OutboxRepo;
  private readonly webhooks: WebhooksRepo;
  private readonly worker: DeliveryWorker;
  private readonly baseUrl: () => string;
  private readonly clock: () => number;
  private readonly log: NotifyLog;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: NotifierOptions) {
    const { db, baseUrl, summarize, log, clock, random, ...overrides } = options;
    this.settings = { ...defaultSettings(), ...stripUndefined(overrides) };
    this.db = db;
    this.outbox = new OutboxRepo(db);
    this.webhooks = new WebhooksRepo(db);
    this.baseUrl = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
    this.clock = clock ?? Date.now;
    this.log = log ?? SILENT;
    const analyses = new AlertAnalyses(summarize, this.outbox, this.settings.analysisTimeoutMs, this.log);
    this.worker = new DeliveryWorker(
      this.outbox,
      this.webhooks,
      analyses,
      { ...this.settings, clock: this.clock, random },
      this.log,
    );
    this.syncEnvWebhook();
  }

  // ---- the ingest pipeline's hooks: synchronous, inside its transaction ----

  onFindingChanges(run: RunRef, changes: FindingChange[], now: number): void {
    if (changes.length === 0) return;
    this.emit(() => {
      const url = runUrl(this.baseUrl(), run.id);
      for (const change of changes) {
        const type = findingAlertType(change);
        if (!type) continue;
        const alert = findingAlert(type, change, run, url, now);
        // A raise inside the cooldown is not sent, but the stream still shows it: a stream that
        // ended with the previous `finding.resolved` would say the finding is closed while it is open.
        if (type === 'finding.raised' && this.throttled(run.id, change.finding.kind, now)) this.record({ ...alert, detail: { throttled: THROTTLED } }, false);
        else this.record(alert);
      }
    });
  }

  onRunFinished(run: RunRef, status: RunEnd, now: number): void {
    this.emit(() => {
      this.record(runEndAlert(run, status, runUrl(this.baseUrl(), run.id), now));
      this.outbox.forgetRun(run.id);
    });
  }

  /** A running run fell silent: the service marked it stalled (see service/liveness.ts). */
  onRunStalled(run: RunRef, lastEventAt: number, now: number): void {
    this.emit(() => this.record(stalledAlert(run, lastEventAt, runUrl(this.baseUrl(), run.id), now)));
  }

  start(): void {
    this.worker.start();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), HOUR);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.worker.stop();
  }

  // ---- the HTTP API's use-cases ----

  async createWebhook(input: CreateWebhookInput): Promise<Webhook & { secret: string }> {
    await assertWebhookUrl(input.url, this.settings.allowPrivate);
    const webhook = newWebhook(input, this.clock());
    this.webhooks.put(webhook);
    return { ...publicView(webhook), secret: webhook.secret };
  }

  listWebhooks(): Webhook[] {
    return this.webhooks.list().map(publicView);
  }

  deleteWebhook(id: string): void {
    this.existing(id);
    if (id === ENV_WEBHOOK_ID) {
      throw new AnalystError('conflict', 'this subscription comes from ANALYST_WEBHOOK_URL; unset that variable to remove it');
    }
    this.removeWebhook(id);
  }

  /** Sends a test alert to one subscription now and returns the delivery's outcome (no retries). */
  async testWebhook(id: string): Promise<Delivery> {
    this.existing(id);
    const now = this.clock();
    const deliveryId = timeOrderedId();
    const alert = this.outbox.insertAlert(testAlert(id, this.baseUrl(), now));
    this.outbox.insertDelivery(deliveryId, id, alert, now);
    const delivery = await this.worker.deliverNow(deliveryId, false);
    if (!delivery) throw new AnalystError('not_found', `webhook ${id} was deleted during the test`);
    return delivery;
  }

  listDeliveries(id: string, limit = 100): Delivery[] {
    this.existing(id);
    return this.outbox.listDeliveries(id, limit);
  }

  /** The alert stream; without `since` or `after`, the last day of it. */
  listAlerts(query: AlertsQuery): { alerts: Alert[]; cursor: number } {
    const since = query.since ?? (query.after === undefined ? this.clock() - 24 * HOUR : undefined);
    const alerts = this.outbox.listAlerts({ after: query.after, since, run: query.run, minSeverity: query.min_severity, limit: query.limit });
    return { alerts, cursor: alerts.at(-1)?.seq ?? query.after ?? 0 };
  }

  // ---- internals ----

  /**
   * Runs alert writes in a savepoint of the caller's transaction, and kicks the worker once it has
   * committed. A fault here is logged and its writes undone, but never fails the ingest around it.
   */
  private emit(write: () => void): void {
    try {
      this.db.transaction(write)();
      this.worker.kick();
    } catch (err) {
      this.log.error({ err }, 'could not record alerts; ingest goes on without them');
    }
  }

  /**
   * Stores an alert and, unless told not to, a delivery per interested subscription. Deliveries are timed by the
   * worker's own clock, not the caller's `now`, so they are due at once whatever that clock says.
   */
  private record(alert: NewAlert, deliver = true): void {
    const stored = this.outbox.insertAlert(alert);
    if (!deliver) return;
    const now = this.clock();
    for (const webhook of this.webhooks.list()) {
      if (wants(webhook, stored)) this.outbox.insertDelivery(timeOrderedId(), webhook.id, stored, now);
    }
  }

  private throttled(runId: string, kind: string, now: number): boolean {
    const last = this.outbox.lastRaisedAt(runId, kind);
    if (last !== undefined && now - last < this.settings.cooldownMs) return true;
    this.outbox.setLastRaised(runId, kind, now);
    return false;
  }

  private existing(id: string): Webhook {
    const webhook = this.webhooks.get(id);
    if (!webhook) throw new AnalystError('not_found', `no webhook ${id}`);
    return webhook;
  }

  /** Makes the stored environment subscription match ANALYST_WEBHOOK_URL / _SECRET, or removes it. */
  private syncEnvWebhook(): void {
    const env = this.settings.envWebhook;
    const stored = this.webhooks.get(ENV_WEBHOOK_ID);
    if (!env) {
      if (stored) this.removeWebhook(ENV_WEBHOOK_ID);
      return;
    }
    this.webhooks.put({
      id: ENV_WEBHOOK_ID,
      url: env.url,
      // Without ANALYST_WEBHOOK_SECRET the signature cannot be checked, but a stable key costs nothing.
      secret: env.secret ?? stored?.secret ?? generateSecret(),
      min_severity: 'warning',
      kinds: null,
      projects: null,
      format: 'auto',
      include_analysis: false,
      source: 'env',
      created_at: stored?.created_at ?? this.clock(),
    });
  }

  private removeWebhook(id: string): void {
    this.db.transaction(() => {
      this.webhooks.delete(id);
      this.outbox.deleteDeliveries(id);
    })();
  }

  private prune(): void {
    try {
      this.outbox.prune(this.clock() - this.settings.retentionMs);
    } catch (err) {
      this.log.warn({ err }, 'pruning old alerts failed');
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
