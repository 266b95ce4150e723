// The notifier: turns finding changes and run facts into alerts, writes them with their webhook
// deliveries in the caller's transaction, and runs the delivery worker.
import { AnalystError } from '../domain/errors.ts';
import type { FindingChange } from '../domain/findings.ts';
import type { Alert, AlertsQuery, CreateWebhookInput, Delivery, Webhook } from '../domain/webhooks.ts';
import type { NewAlert, OutboxStore } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import type { WebhookStore } from '../store/webhooks.ts';
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
  /** Where alerts, deliveries and subscriptions are kept: alerts and deliveries join the ingest transaction. */
  store: Pick<Store, 'outbox' | 'webhooks' | 'transaction'>;
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
/** What a claim of a delivery lasts beyond its attempt's own limits (reading the subscription, recording the outcome). */
const LEASE_MARGIN_MS = 5_000;
const THROTTLED = 'not sent to webhooks: raised again within ANALYST_ALERT_COOLDOWN of the last raise';

export class Notifier {
  readonly settings: NotifierSettings;
  private readonly store: NotifierOptions['store'];
  private readonly outbox: OutboxStore;
  private readonly webhooks: WebhookStore;
  private readonly worker: DeliveryWorker;
  private readonly baseUrl: () => string;
  private readonly clock: () => number;
  private readonly log: NotifyLog;
  private pruneTimer: NodeJS.Timeout | undefined;

  /** A notifier whose stored environment subscription matches the environment. */
  static async open(options: NotifierOptions): Promise<Notifier> {
    const notifier = new Notifier(options);
    await notifier.syncEnvWebhook();
    return notifier;
  }

  private constructor(options: NotifierOptions) {
    const { store, baseUrl, summarize, log, clock, random, ...overrides } = options;
    this.settings = { ...defaultSettings(), ...stripUndefined(overrides) };
    this.store = store;
    this.outbox = store.outbox;
    this.webhooks = store.webhooks;
    this.baseUrl = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
    this.clock = clock ?? Date.now;
    this.log = log ?? SILENT;
    const analyses = new AlertAnalyses(summarize, this.outbox, this.settings.analysisTimeoutMs, this.log);
    this.worker = new DeliveryWorker(
      this.outbox,
      this.webhooks,
      analyses,
      { ...this.settings, leaseMs: this.settings.timeoutMs + this.settings.analysisTimeoutMs + LEASE_MARGIN_MS, clock: this.clock, random },
      this.log,
    );
  }

  // ---- the ingest pipeline's hooks, inside its transaction ----

  async onFindingChanges(run: RunRef, changes: FindingChange[], now: number): Promise<void> {
    if (changes.length === 0) return;
    await this.emit(async () => {
      const url = runUrl(this.baseUrl(), run.id);
      for (const change of changes) {
        const type = findingAlertType(change);
        if (!type) continue;
        const alert = findingAlert(type, change, run, url, now);
        // A raise inside the cooldown is not sent, but the stream still shows it: a stream that
        // ended with the previous `finding.resolved` would say the finding is closed while it is open.
        if (type === 'finding.raised' && (await this.throttled(run.id, change.finding.kind, now))) await this.record({ ...alert, detail: { throttled: THROTTLED } }, false);
        else await this.record(alert);
      }
    });
  }

  async onRunFinished(run: RunRef, status: RunEnd, now: number): Promise<void> {
    await this.emit(async () => {
      await this.record(runEndAlert(run, status, runUrl(this.baseUrl(), run.id), now));
      await this.outbox.forgetRun(run.id);
    });
  }

  /** A running run fell silent: the service marked it stalled (see service/liveness.ts). */
  async onRunStalled(run: RunRef, lastEventAt: number, now: number): Promise<void> {
    await this.emit(() => this.record(stalledAlert(run, lastEventAt, runUrl(this.baseUrl(), run.id), now)));
  }

  start(): void {
    this.worker.start();
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), HOUR);
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
    await this.webhooks.put(webhook);
    return { ...publicView(webhook), secret: webhook.secret };
  }

  async listWebhooks(): Promise<Webhook[]> {
    return (await this.webhooks.list()).map(publicView);
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.existing(id);
    if (id === ENV_WEBHOOK_ID) {
      throw new AnalystError('conflict', 'this subscription comes from ANALYST_WEBHOOK_URL; unset that variable to remove it');
    }
    await this.removeWebhook(id);
  }

  /** Sends a test alert to one subscription now and returns the delivery's outcome (no retries). */
  async testWebhook(id: string): Promise<Delivery> {
    await this.existing(id);
    const now = this.clock();
    const deliveryId = timeOrderedId();
    const alert = await this.outbox.insertAlert(testAlert(id, this.baseUrl(), now));
    await this.outbox.insertDelivery(deliveryId, id, alert, now);
    const delivery = await this.worker.deliverNow(deliveryId, false);
    if (!delivery) throw new AnalystError('not_found', `webhook ${id} was deleted during the test`);
    return delivery;
  }

  async listDeliveries(id: string, limit = 100): Promise<Delivery[]> {
    await this.existing(id);
    return this.outbox.listDeliveries(id, limit);
  }

  /** The alert stream; without `since` or `after`, the last day of it. */
  async listAlerts(query: AlertsQuery): Promise<{ alerts: Alert[]; cursor: number }> {
    const since = query.since ?? (query.after === undefined ? this.clock() - 24 * HOUR : undefined);
    const alerts = await this.outbox.listAlerts({ after: query.after, since, run: query.run, minSeverity: query.min_severity, limit: query.limit });
    return { alerts, cursor: alerts.at(-1)?.seq ?? query.after ?? 0 };
  }

  // ---- internals ----

  /**
   * Runs alert writes in a savepoint of the caller's transaction, and kicks the worker once it has
   * committed. A fault here is logged and its writes undone, but never fails the ingest around it.
   */
  /** Asks the worker to look at the outbox now: alerts may have been committed (by this replica or another). */
  kick(): void {
    this.worker.kick();
  }

  private async emit(write: () => Promise<void>): Promise<void> {
    try {
      await this.store.transaction(write);
      this.worker.kick();
    } catch (err) {
      this.log.error({ err }, 'could not record alerts; ingest goes on without them');
    }
  }

  /**
   * Stores an alert and, unless told not to, a delivery per interested subscription. Deliveries are timed by the
   * worker's own clock, not the caller's `now`, so they are due at once whatever that clock says.
   */
  private async record(alert: NewAlert, deliver = true): Promise<void> {
    const stored = await this.outbox.insertAlert(alert);
    if (!deliver) return;
    const now = this.clock();
    for (const webhook of await this.webhooks.list()) {
      if (wants(webhook, stored)) await this.outbox.insertDelivery(timeOrderedId(), webhook.id, stored, now);
    }
  }

  private async throttled(runId: string, kind: string, now: number): Promise<boolean> {
    const last = await this.outbox.lastRaisedAt(runId, kind);
    if (last !== undefined && now - last < this.settings.cooldownMs) return true;
    await this.outbox.setLastRaised(runId, kind, now);
    return false;
  }

  private async existing(id: string): Promise<Webhook> {
    const webhook = await this.webhooks.get(id);
    if (!webhook) throw new AnalystError('not_found', `no webhook ${id}`);
    return webhook;
  }

  /** Makes the stored environment subscription match ANALYST_WEBHOOK_URL / _SECRET, or removes it. */
  private async syncEnvWebhook(): Promise<void> {
    const env = this.settings.envWebhook;
    const stored = await this.webhooks.get(ENV_WEBHOOK_ID);
    if (!env) {
      if (stored) await this.removeWebhook(ENV_WEBHOOK_ID);
      return;
    }
    await this.webhooks.put({
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

  private removeWebhook(id: string): Promise<void> {
    return this.store.transaction(async () => {
      await this.webhooks.delete(id);
      await this.outbox.deleteDeliveries(id);
    });
  }

  private async prune(): Promise<void> {
    try {
      await this.outbox.prune(this.clock() - this.settings.retentionMs);
    } catch (err) {
      this.log.warn({ err }, 'pruning old alerts failed');
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
