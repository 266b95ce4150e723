// One upstream SSE connection kept alive: reconnects with back-off and Last-Event-ID, honours `retry:`.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { SourceState } from '../../domain/streams.ts';

export interface UpstreamHandlers {
  /**
   * The messages of one network chunk, in order. Throwing counts as a failure: the cursor does not
   * move past them and the connection is retried.
   */
  onMessages(messages: EventSourceMessage[]): Promise<void>;
  onState(state: SourceState): Promise<void>;
  onError(message: string): Promise<void>;
  onRetry(ms: number): Promise<void>;
  /** A handler above failed (the database refused a write): logged, and the loop carries on. */
  onFault(err: unknown): void;
}

export interface UpstreamOptions {
  headers: Record<string, string>;
  lastEventId: string | null;
  /** Reconnection delay asked for earlier with `retry:` (kept across restarts). */
  retryMs: number | null;
  /** First delay after a failure when the upstream asked for none. */
  minDelayMs?: number;
  maxDelayMs?: number;
  guard?: ConnectGuard;
}

/**
 * Where a source may connect: `check` refuses a URL by its literal host, `lookup` refuses an
 * address at connect time, after DNS resolution, so a name that changes its answer cannot slip
 * through (the webhook guard, with its opt-in for private addresses).
 */
export interface ConnectGuard {
  check(url: URL): void;
  lookup: LookupFunction;
}

/**
 * One GET of an event stream. Redirects are not followed: a redirect could lead where the guard
 * would have refused.
 */
function openStream(raw: string, headers: Record<string, string>, signal: AbortSignal, guard?: ConnectGuard): Promise<IncomingMessage> {
  const url = new URL(raw);
  guard?.check(url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { headers, signal, lookup: guard?.lookup, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** An upstream line without end would otherwise grow the parser's buffer without bound. */
const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * The delay before the next attempt: the upstream's `retry:` (or the minimum) after the first
 * failure, doubling with each failure in a row up to the maximum, with jitter so that many
 * sources cut off by one upstream restart do not all come back in the same millisecond.
 */
export function backoff(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export class Upstream {
  lastEventId: string | null;
  private retryMs: number | null;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly opts: UpstreamOptions,
    private readonly handlers: UpstreamHandlers,
  ) {
    this.lastEventId = opts.lastEventId;
    this.retryMs = opts.retryMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      // Everything in the pass is inside the try, handlers included: a handler that cannot write
      // (a full disk) is one more failure to back off from, never the end of the loop or process.
      try {
        await this.report(() => this.handlers.onState('connecting'));
        if ((await this.connect(() => (failures = 0))) === 'done') {
          await this.handlers.onState('closed');
          return;
        }
        await this.handlers.onError('upstream ended the stream');
      } catch (err) {
        if (signal.aborted) break;
        await this.report(() => this.handlers.onError(messageOf(err)));
      }
      failures++;
      await this.report(() => this.handlers.onState('waiting'));
      const delay = backoff(failures, this.retryMs ?? this.opts.minDelayMs ?? 1000, this.opts.maxDelayMs ?? 60_000);
      // Rejects when stopped, which ends the loop.
      await sleep(delay, undefined, { signal }).catch(() => {});
    }
  }

  /**
   * Calls a handler that only records how the source is doing: if recording fails (the
   * database refuses writes), the fault log hears of it and reading goes on; only storing
   * the events themselves (onMessages) decides whether a pass failed.
   */
  private async report(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.handlers.onFault(err);
    }
  }

  /** Reads one connection to its end; 'done' when the upstream said there is nothing more (204). */
  private async connect(progressed: () => void): Promise<'done' | 'ended'> {
    const headers: Record<string, string> = { ...this.opts.headers, accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const res = await openStream(this.url, headers, this.abort.signal, this.opts.guard);
    // The SSE specification's way for a server to say "do not reconnect".
    if (res.statusCode === 204) return 'done';
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`upstream answered HTTP ${res.statusCode}`);
    }
    const type = res.headers['content-type'] ?? '';
    if (!type.startsWith('text/event-stream')) throw new Error(`upstream sent ${type || 'no content-type'}, not text/event-stream`);
    await this.report(() => this.handlers.onState('open'));
    let batch: EventSourceMessage[] = [];
    const parser = createParser({
      onEvent: (m) => batch.push(m),
      onRetry: (ms) => {
        this.retryMs = ms;
        void this.report(() => this.handlers.onRetry(ms));
      },
      maxBufferSize: MAX_EVENT_CHARS,
      onError: (err) => {
        if (err.type === 'max-buffer-size-exceeded') throw err;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (!batch.length) continue;
      const messages = batch;
      batch = [];
      await this.handlers.onMessages(messages);
      for (const m of messages) if (m.id !== undefined) this.lastEventId = m.id;
      progressed();
    }
    return 'ended';
  }
}

function messageOf(err: unknown): string {
  const e = err as Error & { code?: string };
  // Node's word for a response cut off mid-body is only "aborted".
  if (e.code === 'ECONNRESET') return 'the upstream closed the connection (ECONNRESET)';
  return e.message ?? String(err);
}
