// GET /ws: trainers send batches (acknowledged after commit) and receive control; dashboards subscribe.
import { bearerOf, tokenMatches } from './auth.ts';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AnalystError, parseOrThrow } from '../domain/errors.ts';
import { storageUnavailable } from '../store/faults.ts';
import type { StoredEvent } from '../domain/events.ts';
import { WsClientMessage } from '../domain/streams.ts';
import { stringifyEvent, stringifyJson } from '../domain/values.ts';
import { parseJsonBody } from '../ingest/json-body.ts';
import type { ControlDesk } from '../service/control.ts';
import { EventFeed } from '../service/event-feed.ts';
import type { AnalystService } from '../service/service.ts';
import type { Logger } from './errors.ts';
import type { OriginPolicy } from './origin-guard.ts';
import { SOURCE_INSTANCE_HEADER } from '../domain/streams.ts';
import { parseBatch } from './routes/runs.ts';

export interface WsOptions {
  maxBatchEvents: number;
  /** Largest message accepted, like the HTTP body limit. */
  maxPayload: number;
  /** Live events a subscription may leave unsent before it gets `overflow` and ends. */
  maxBuffered: number;
  /** A socket that does not answer a ping within this interval is dropped. */
  pingMs: number;
  token?: string;
  /** Host and Origin checks, as on every HTTP route: a socket can write runs. */
  origins?: OriginPolicy;
}

// Every subscriber of an event sends the same text: serialise it once.
const eventFrames = new WeakMap<StoredEvent, string>();

function eventFrame(e: StoredEvent): string {
  let text = eventFrames.get(e);
  if (text === undefined) eventFrames.set(e, (text = `{"type":"event","event":${stringifyEvent(e)}}`));
  return text;
}

/** Browsers cannot set headers on a WebSocket, so the token may also come as `?token=`. */
function authorised(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (!token) return true;
  return tokenMatches(bearerOf(req.headers.authorization) || (url.searchParams.get('token') ?? ''), token);
}

/** One subscription per run, or per project (`*` for all runs), on a socket. */
function feedKey(run: string | undefined, project: string | undefined): string {
  return run ? `run:${run}` : `project:${project ?? '*'}`;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** One connection: any mix of trainer batches, control acknowledgements and subscriptions. */
class Session {
  alive = true;
  private readonly feeds = new Map<string, EventFeed>();
  private readonly trainerOf = new Map<string, () => void>();
  /** Messages are handled one after another, in the order they came. */
  private handled: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    private readonly service: AnalystService,
    private readonly desk: ControlDesk,
    private readonly opts: WsOptions,
    private readonly log: Logger,
  ) {
    ws.on('message', (data) => this.onMessage(data));
    ws.on('pong', () => (this.alive = true));
    // A frame over maxPayload or a protocol violation surfaces here; ws has already closed the socket
    // with the right code (1009, 1002), and without a listener the error would end the process.
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'websocket closed on a bad frame'));
    ws.once('close', () => this.close());
  }

  private onMessage(data: RawData): void {
    let id: string | number | undefined;
    try {
      const raw = parseJsonBody(data.toString());
      if (raw && typeof raw === 'object' && 'id' in raw) id = (raw as { id?: string | number }).id;
      const msg = parseOrThrow(WsClientMessage, raw, 'message');
      this.handled = this.handled.then(() => this.handle(msg)).catch((err: Error) => this.fail(err, id));
    } catch (err) {
      this.fail(err as Error, id);
    }
  }

  private async handle(msg: WsClientMessage): Promise<void> {
    switch (msg.type) {
      case 'events': {
        this.service.admit('ws');
        const run = await this.service.run(msg.run);
        const events = parseBatch({ events: msg.events }, this.opts.maxBatchEvents);
        // Settled after the commit: the ack is a promise that the batch is durable.
        this.service.ingestGrouped(run, events, 'ws').then(
          (r) => {
            this.send({ type: 'ack', id: msg.id, run: run.id, accepted: r.accepted, duplicates: r.duplicates, last_seq: r.last_seq });
            this.attachTrainer(run.id);
          },
          (err: Error) => this.fail(err, msg.id),
        );
        return;
      }
      case 'attach': {
        const run = await this.service.run(msg.run);
        this.send({ type: 'attached', id: msg.id, run: run.id });
        this.attachTrainer(run.id);
        return;
      }
      case 'subscribe': {
        const run = msg.run === undefined ? undefined : (await this.service.run(msg.run)).id;
        const key = feedKey(run, msg.project);
        this.feeds.get(key)?.close();
        const after = msg.after ?? (run ? 0 : await this.service.store.lastGid());
        const scope = run ? { run } : { project: msg.project };
        const feed = new EventFeed(this.service.store, this.service.bus, scope, { after, maxBuffered: this.opts.maxBuffered, types: msg.types && new Set(msg.types) });
        this.feeds.set(key, feed);
        this.send({ type: 'subscribed', id: msg.id, run, project: msg.project, after });
        void this.pump(key, feed, run, msg.project);
        return;
      }
      case 'unsubscribe': {
        const key = feedKey(msg.run === undefined ? undefined : (await this.service.run(msg.run)).id, msg.project);
        this.feeds.get(key)?.close();
        this.feeds.delete(key);
        this.send({ type: 'unsubscribed', id: msg.id });
        return;
      }
      case 'control_ack': {
        const control = await this.desk.ack(msg.id, { outcome: msg.outcome, message: msg.message });
        this.send({ type: 'control_acked', id: msg.id, outcome: control.outcome });
        return;
      }
      case 'ping':
        this.send({ type: 'pong', id: msg.id });
        return;
    }
  }

  private attachTrainer(run: string): void {
    if (this.trainerOf.has(run)) return;
    const attached = this.desk.attach(run, (c) => this.send({ type: 'control', ...c }));
    attached.catch((err: Error) => this.fail(err, undefined));
    this.trainerOf.set(run, () => void attached.then((detach) => detach(), () => {}));
  }

  /** Sends a subscription's events, one message each, waiting for the socket before taking more. */
  private async pump(key: string, feed: EventFeed, run: string | undefined, project: string | undefined): Promise<void> {
    try {
      await this.forward(feed, run, project);
    } catch (err) {
      // A read the database refused ends this subscription, said so; never the process.
      this.fail(err as Error, undefined);
    }
    feed.close();
    if (this.feeds.get(key) === feed) this.feeds.delete(key);
  }

  private async forward(feed: EventFeed, run: string | undefined, project: string | undefined): Promise<void> {
    for (let item = await feed.next(); item; item = await feed.next()) {
      if ('overflow' in item) {
        this.send({ type: 'overflow', run, project, resume_after: item.overflow });
        break;
      }
      if ('deleted' in item) {
        this.send({ type: 'deleted', run: item.deleted });
        break;
      }
      const last = item.events.length - 1;
      for (let i = 0; i < last; i++) this.ws.send(eventFrame(item.events[i]));
      const sent = await new Promise<boolean>((resolve) => this.ws.send(eventFrame(item.events[last]), (err) => resolve(!err)));
      if (!sent) break;
    }
  }

  private send(msg: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(stringifyJson(msg));
  }

  private fail(err: Error, id: string | number | undefined): void {
    err = storageUnavailable(err) ?? err;
    if (err instanceof AnalystError) {
      this.send({ type: 'error', id, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...err.details });
      return;
    }
    this.log.error({ err }, 'websocket message failed');
    this.send({ type: 'error', id, code: 'internal', message: 'internal error' });
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
    for (const detach of this.trainerOf.values()) detach();
    this.trainerOf.clear();
  }
}

/** Serves `/ws` on the node server's `upgrade` event; returns the function that closes every socket. */
export function attachWebSocket(server: Server, service: AnalystService, desk: ControlDesk, opts: WsOptions, log: Logger): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  const sessions = new Set<Session>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') {
      // Another door may serve this path; answer only when nobody else listens.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    const header = (name: string) => req.headers[name] as string | undefined;
    const refused = opts.origins?.refusal({ host: header('host'), origin: header('origin'), fetchSite: header('sec-fetch-site'), instance: header(SOURCE_INSTANCE_HEADER) }, true);
    if (refused) {
      log.warn({ reason: refused.message }, 'websocket refused');
      return refuse(socket, 403, 'Forbidden');
    }
    if (!authorised(req, url, opts.token)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new Session(ws, service, desk, opts, log);
      sessions.add(session);
      service.telemetry.wsClients.inc();
      ws.once('close', () => {
        sessions.delete(session);
        service.telemetry.wsClients.dec();
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const keepAlive = setInterval(() => {
    for (const s of sessions) {
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }, opts.pingMs);
  keepAlive.unref();

  return () => {
    clearInterval(keepAlive);
    server.off('upgrade', onUpgrade);
    for (const s of sessions) s.ws.terminate();
    wss.close();
  };
}
