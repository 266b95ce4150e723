// Real stream clients for tests and benches: an SSE reader on fetch + eventsource-parser, a `ws` client.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import WebSocket from 'ws';

export interface SseMessage extends EventSourceMessage {
  /** When the message was parsed (performance.now()). */
  at: number;
}

/**
 * Waits until `check` returns a value, looking again every few milliseconds. No deadline of its
 * own: how long it takes depends on the machine's load, and the test's timeout catches a hang.
 */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads a raw SSE response the way an EventSource would, keeping every message and comment. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  /** Resolves when the server ends the stream (or close() cuts it). */
  ended: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  onMessage: ((m: SseMessage) => void) | undefined;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
    return SseClient.from(res, abort);
  }

  /** Reads a response already opened (e.g. one left unread for a while). */
  static from(res: Response, abort = new AbortController()): SseClient {
    const client = new SseClient();
    client.abort = abort;
    client.ended = client.read(res.body!);
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = createParser({
      onEvent: (m) => {
        const msg = { ...m, at: performance.now() };
        this.messages.push(msg);
        this.onMessage?.(msg);
      },
      onComment: (c) => this.comments.push(c),
      onRetry: (r) => (this.retry = r),
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // Aborted by close(): what was read stays readable.
    }
  }

  /** Messages that carry an id (events of the log), in order. */
  get ids(): number[] {
    return this.messages.filter((m) => m.id !== undefined && m.event !== 'overflow').map((m) => Number(m.id));
  }

  get lastId(): string | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].id !== undefined) return this.messages[i].id;
    return undefined;
  }

  waitFor(check: (c: SseClient) => boolean): Promise<true> {
    return until(() => check(this));
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.ended;
  }
}

/** A `ws` client that queues what the server sends, for request / reply checks. */
export class WsClient {
  readonly received: any[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(baseUrl: string, headers: Record<string, string> = {}, query = ''): Promise<WsClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws${query}`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    });
  }

  /** Sends a message; resolves once it left the socket. */
  send(msg: unknown): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(JSON.stringify(msg), (err) => (err ? reject(err) : resolve())));
  }

  /** The first received message (from `from` on) that matches; waits for it, however long the machine takes. */
  async next(match: (m: any) => boolean, from = 0): Promise<any> {
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed without a matching message; received ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends and waits for the reply carrying the same id. */
  async request(msg: { id: string | number } & Record<string, unknown>): Promise<any> {
    const from = this.received.length;
    await this.send(msg);
    return this.next((m) => m.id === msg.id && m.type !== 'event', from);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** A batch of metrics events with idempotency keys `<prefix>-<n>`. */
export function metricsBatch(from: number, count: number, prefix = 'e'): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const step = from + i;
    return { type: 'metrics', step, event_id: `${prefix}-${step}`, values: { loss: 2 / (1 + step * 0.01), lr: 0.001 } };
  });
}
