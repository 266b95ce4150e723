// The service's upstream SSE subscriptions: create, resume after a restart, report, remove.
import { randomUUID } from 'node:crypto';
import { Mutex } from 'async-mutex';
import type { EventSourceMessage } from 'eventsource-parser';
import { AnalystError } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import { CreateRunInput } from '../../domain/runs.ts';
import { SOURCE_INSTANCE_HEADER, type CreateSourceInput, type Source } from '../../domain/streams.ts';
import type { AnalystService } from '../../service/service.ts';
import { RENEWALS_PER_LEASE } from '../../store/leases.ts';
import type { SourceStore } from '../../store/sources.ts';
import { createLineState } from './log-lines.ts';
import { mapUpstream } from './mapping.ts';
import { Upstream, type ConnectGuard } from './upstream.ts';

/** A run name from the upstream's address when none is given: `host/path` reads well in a list. */
function runNameFor(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname === '/' ? '' : u.pathname}`.slice(0, 250);
}

/** Header values may be credentials: a listing shows only which headers are sent. */
function redacted(source: Source): Source {
  return { ...source, headers: Object.fromEntries(Object.keys(source.headers).map((k) => [k, '***'])) };
}

/** What the manager needs of a logger (pino fits). */
export interface WarnLogger {
  warn(obj: object, msg?: string): void;
}

export interface SourceManagerOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Where sources may connect (the webhook guard); none in tests that read loopback upstreams directly. */
  guard?: ConnectGuard;
  /** This service's instance id, sent in SOURCE_INSTANCE_HEADER so that it can refuse to read itself. */
  instance?: string;
}

/**
 * The lease under which one replica of a deployment reads every upstream subscription. It lasts
 * ANALYST_LEASE_SECONDS unrenewed: a replica that died hands the reading to another within that
 * time. Its holder renews it (and looks for subscriptions added or removed elsewhere) several
 * times in that length.
 */
const SOURCES_LEASE = 'upstream-sources';

export class SourceManager {
  readonly repo: SourceStore;
  private readonly holder: string;
  private readonly turns = new Mutex();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly live = new Map<string, Upstream>();
  /** The run each live subscription feeds. */
  private readonly runOf = new Map<string, string>();

  constructor(
    private readonly service: AnalystService,
    private readonly log: WarnLogger,
    private readonly opts: SourceManagerOptions = {},
  ) {
    this.repo = service.store.sources;
    this.holder = opts.instance ?? randomUUID();
    // A deleted run's subscriptions went with it in the store; stop reading them too.
    service.onRunDeleted((run) => {
      for (const [id, upstream] of this.live) {
        if (this.runOf.get(id) !== run.id) continue;
        this.live.delete(id);
        this.runOf.delete(id);
        void upstream.stop();
      }
    });
  }

  /** Resumes every stored subscription that the upstream did not end, on the replica holding the lease. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.renew();
    this.timer = setInterval(() => void this.renew().catch((err: unknown) => this.log.warn({ err }, 'upstream sources: could not renew their lease')), this.service.liveness.leaseMs / RENEWALS_PER_LEASE);
    this.timer.unref();
  }

  /**
   * Takes or renews the lease, then reads what the store holds: subscriptions added on other
   * replicas start here, removed ones stop. A replica without the lease reads none of them.
   */
  private renew(): Promise<void> {
    return this.turns.runExclusive(async () => {
      if (this.stopped) return;
      if (!(await this.service.store.leases.acquire(SOURCES_LEASE, this.holder, Date.now(), this.service.liveness.leaseMs))) {
        await this.closeAll();
        return;
      }
      const stored = await this.repo.all();
      const ids = new Set(stored.map((source) => source.id));
      for (const source of stored) if (source.state !== 'closed' && !this.live.has(source.id)) this.open(source);
      for (const [id, upstream] of this.live) {
        if (ids.has(id)) continue;
        this.live.delete(id);
        this.runOf.delete(id);
        await upstream.stop();
      }
    });
  }

  /** Subscribing twice to one URL for one run returns the first subscription (`created` false). */
  async add(input: CreateSourceInput): Promise<{ source: Source; created: boolean }> {
    const name = input.run ?? runNameFor(input.url);
    const existing = input.run === undefined ? undefined : await this.service.store.resolveRun(input.run);
    const run = existing ?? (await this.service.createRun(CreateRunInput.parse({ name, project: input.project }))).run;
    const same = await this.repo.find(input.url, run.id);
    if (same) return { source: redacted(same), created: false };
    const source = await this.repo.insert({ id: randomUUID(), url: input.url, run: run.id, headers: input.headers, mapping: input.mapping, created_at: Date.now() });
    // Read here if this replica holds the lease; otherwise its holder starts it at its next renewal.
    await this.renew();
    return { source: redacted(source), created: true };
  }

  async list(): Promise<Source[]> {
    return (await this.repo.all()).map(redacted);
  }

  async get(id: string): Promise<Source> {
    const source = await this.repo.get(id);
    if (!source) throw new AnalystError('not_found', `no source ${JSON.stringify(id)}`);
    return redacted(source);
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.live.get(id)?.stop();
    this.live.delete(id);
    this.runOf.delete(id);
    await this.repo.remove(id);
  }

  /** Stops reading and gives the lease back, so another replica takes the subscriptions over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.turns.runExclusive(async () => {
      this.stopped = true;
      await this.closeAll();
    });
    await this.service.store.leases.release(SOURCES_LEASE, this.holder).catch((err: unknown) => this.log.warn({ err }, 'upstream sources: could not give back their lease'));
  }

  private async closeAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((u) => u.stop()));
    this.live.clear();
    this.runOf.clear();
  }

  private open(source: Source): void {
    // Per source: a log line `Epoch 3/10` sets the epoch for the metrics lines after it.
    const lineState = createLineState();
    const upstream = new Upstream(
      source.url,
      {
        headers: this.opts.instance ? { ...source.headers, [SOURCE_INSTANCE_HEADER]: this.opts.instance } : source.headers,
        lastEventId: source.last_event_id,
        retryMs: source.retry_ms,
        minDelayMs: this.opts.minDelayMs,
        maxDelayMs: this.opts.maxDelayMs,
        guard: this.opts.guard,
      },
      {
        onMessages: (messages) => this.receive(source, messages, lineState),
        onState: (state) => this.repo.setState(source.id, state),
        onError: async (message) => {
          await this.repo.error(source.id, message, Date.now());
          this.log.warn({ source: source.id, url: source.url, error: message }, 'upstream source');
        },
        onRetry: (ms) => this.repo.setRetry(source.id, ms),
        onFault: (err) => this.log.warn({ source: source.id, err }, 'upstream source: could not record its state'),
      },
    );
    this.live.set(source.id, upstream);
    this.runOf.set(source.id, source.run);
    upstream.start();
  }

  private async receive(source: Source, messages: EventSourceMessage[], lineState: ReturnType<typeof createLineState>): Promise<void> {
    const events: EventInput[] = [];
    const notRead = new Map<string, number>();
    let lastId: string | null = null;
    for (const msg of messages) {
      const mapped = mapUpstream(source.id, msg, source.mapping, lineState);
      if (mapped.problem) await this.repo.error(source.id, `event ${msg.id ?? '(no id)'}: ${mapped.problem}`, Date.now());
      if (mapped.notRead !== undefined) notRead.set(mapped.notRead, (notRead.get(mapped.notRead) ?? 0) + 1);
      for (const e of mapped.events) events.push(e);
      if (msg.id !== undefined) lastId = msg.id;
    }
    // The cursor moves in the same transaction as the events: after a crash, the upstream is
    // asked for exactly what was not stored.
    await this.service.transaction(async () => {
      if (events.length) await this.service.ingest(source.run, events, 'sse');
      await this.repo.received(source.id, lastId, messages.length, Date.now());
      await this.repo.notRead(source.id, notRead);
    });
  }
}
