// The delivery worker: sends due outbox rows, records each attempt, and schedules the retries.
import { AsyncResource } from 'node:async_hooks';
import type { Delivery } from '../domain/webhooks.ts';
import { stringifyJson } from '../domain/values.ts';
import type { OutboxStore } from '../store/outbox.ts';
import type { WebhookStore } from '../store/webhooks.ts';
import type { AlertAnalyses } from './analysis.ts';
import { renderBody, resolveFormat } from './formats.ts';
import type { NotifyLog } from './log.ts';
import type { RetryPolicy } from './retry.ts';
import { backoffMs, classifyStatus, parseRetryAfter } from './retry.ts';
import type { SendResult } from './sender.ts';
import { postWebhook } from './sender.ts';
import { deliveryHeaders } from './signing.ts';

export interface WorkerOptions {
  retry: RetryPolicy;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Deliveries in flight at once; a hanging receiver holds one slot for at most timeoutMs. */
  concurrency: number;
  /**
   * How long a claimed delivery stays this worker's: longer than any one attempt, so a live
   * replica keeps what it is sending; a replica that died leaves it to another once it ends.
   * The worker also looks at the outbox at least this often, for deliveries a dead replica left.
   */
  leaseMs: number;
  clock: () => number;
  random?: () => number;
}

export class DeliveryWorker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping = new AbortController();
  private kicked = false;
  /** The asynchronous context the worker was made in, outside any transaction. */
  private readonly outside = new AsyncResource('DeliveryWorker');

  constructor(
    private readonly outbox: OutboxStore,
    private readonly webhooks: WebhookStore,
    private readonly analyses: AlertAnalyses,
    private readonly options: WorkerOptions,
    private readonly log: NotifyLog,
  ) {}

  /** Starts at once, so deliveries left due by a previous process go out without waiting. */
  start(): void {
    this.running = true;
    this.stopping = new AbortController();
    void this.pump();
  }

  /**
   * Cuts off requests in flight and leaves their rows untouched: still pending and due, they go
   * out first thing after the next start, under the same delivery ids.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.stopping.abort();
    const cut = [...this.inFlight.keys()];
    await Promise.allSettled(this.inFlight.values());
    // Cut off, they are still pending: another replica sends them now rather than after the lease.
    await this.outbox.release(cut).catch((err: unknown) => this.log.warn({ err }, 'could not give back webhook deliveries'));
  }

  /**
   * Asks for a pass on the next turn of the event loop, one however many ask in this turn.
   * Called from inside the ingest transaction: in SQLite it ends within the same turn, so the new
   * rows are committed (or rolled back) by the time the pass reads them; a PostgreSQL commit
   * takes longer, and the commit's published events kick again (see http/server.ts). The pass
   * runs outside the caller's transaction: a claim made in it would read its own uncommitted rows.
   */
  kick(): void {
    if (!this.running || this.kicked) return;
    this.kicked = true;
    setImmediate(() =>
      this.outside.runInAsyncScope(() => {
        this.kicked = false;
        void this.pump();
      }),
    );
  }

  /** Sends one delivery now and waits for the outcome; `retry: false` makes a failure final. */
  async deliverNow(id: string, retry: boolean): Promise<Delivery | undefined> {
    await this.inFlight.get(id);
    const now = this.options.clock();
    const delivery = await this.outbox.claim(id, now, now + this.options.leaseMs);
    // Not pending, or being sent by another replica: the caller reads where it stands.
    if (!delivery) return this.outbox.getDelivery(id);
    await this.track(delivery, retry);
    return this.outbox.getDelivery(id);
  }

  private async pump(): Promise<void> {
    if (!this.running) return;
    clearTimeout(this.timer);
    const now = this.options.clock();
    let wait: number | undefined;
    try {
      const free = this.options.concurrency - this.inFlight.size;
      if (free > 0) {
        for (const delivery of await this.outbox.due(now, free, this.inFlight.keys(), now + this.options.leaseMs)) void this.track(delivery, true);
      }
      const next = await this.outbox.nextDueAt(this.inFlight.keys());
      // With every slot busy, the next pass starts when a slot frees (track() pumps again).
      if (next !== undefined && this.inFlight.size < this.options.concurrency) wait = Math.max(0, next - now);
      // Another replica may die holding a delivery, or leave one it wrote unsent: looked at again within a lease.
      wait = Math.min(wait ?? this.options.leaseMs, this.options.leaseMs);
    } catch (err) {
      this.log.warn({ err }, 'webhook outbox unreadable; trying again shortly');
      wait = this.options.retry.baseMs;
    }
    if (wait === undefined || !this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), wait);
    this.timer.unref();
  }

  private track(delivery: Delivery, retry: boolean): Promise<void> {
    const attempt = this.attempt(delivery, retry)
      .catch((err: unknown) => {
        // Counted as a failed attempt so that a fault that repeats backs off instead of spinning.
        this.log.warn({ err, delivery: delivery.id }, 'webhook delivery attempt failed unexpectedly');
        return this.finish(delivery, { ok: false, error: String(err), blocked: false }, retry);
      })
      .catch((err: unknown) => this.log.warn({ err, delivery: delivery.id }, 'could not record a webhook delivery attempt'))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        void this.pump();
      });
    this.inFlight.set(delivery.id, attempt);
    return attempt;
  }

  private async attempt(delivery: Delivery, retry: boolean): Promise<void> {
    const webhook = await this.webhooks.get(delivery.webhook_id);
    const alert = await this.outbox.getAlert(delivery.alert_id);
    if (!webhook || !alert) {
      await this.finish(delivery, { ok: false, error: 'subscription or alert no longer exists', blocked: true }, false);
      return;
    }
    const analysis = webhook.include_analysis ? await this.analyses.forAlert(alert) : null;
    const sentAt = Math.floor(this.options.clock() / 1000);
    const body = stringifyJson(renderBody({ ...alert, analysis }, resolveFormat(webhook.format, webhook.url), sentAt));
    const headers = deliveryHeaders(webhook.secret, body, delivery.id, alert.type, sentAt);
    const signal = this.stopping.signal;
    const result = await postWebhook(webhook.url, body, headers, { ...this.options, signal });
    if (signal.aborted && !result.ok) return;
    await this.finish(delivery, result, retry);
  }

  private async finish(delivery: Delivery, result: SendResult, retry: boolean): Promise<void> {
    const now = this.options.clock();
    const attempts = delivery.attempts + 1;
    const outcome = result.ok ? classifyStatus(result.status) : result.blocked ? 'dead' : 'retry';
    const responseCode = result.ok ? result.status : null;
    const error = result.ok ? (outcome === 'delivered' ? null : httpError(result.status, result.body)) : result.error;
    const base = { attempts, response_code: responseCode, last_error: error, updated_at: now };
    if (outcome === 'delivered') {
      await this.outbox.recordAttempt(delivery.id, { ...base, status: 'delivered', next_attempt_at: null, delivered_at: now });
      return;
    }
    const deadline = delivery.created_at + this.options.retry.maxAgeMs;
    if (outcome === 'dead' || !retry || now >= deadline) {
      await this.outbox.recordAttempt(delivery.id, { ...base, status: 'dead', next_attempt_at: null, delivered_at: null });
      if (outcome === 'retry') this.log.warn({ delivery: delivery.id, error }, 'webhook delivery gave up');
      return;
    }
    const wait = Math.max(
      backoffMs(attempts, this.options.retry, this.options.random),
      (result.ok && parseRetryAfter(result.retryAfter, now)) || 0,
    );
    // The last try lands on the deadline rather than past it.
    const next = Math.min(now + wait, deadline);
    await this.outbox.recordAttempt(delivery.id, { ...base, status: 'pending', next_attempt_at: next, delivered_at: null });
  }
}

function httpError(status: number, body: string): string {
  // A redirect is refused rather than followed: it could lead past the address guard.
  const hint = status >= 300 && status < 400 ? ' (redirects are not followed: subscribe the final URL)' : '';
  return `HTTP ${status}${hint}${body ? `: ${body}` : ''}`;
}
