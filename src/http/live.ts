// The live doors in one piece for the server to mount: SSE, WebSocket, control, log lines, upstream sources.
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../service/config.ts';
import { ControlDesk } from '../service/control.ts';
import type { AnalystService } from '../service/service.ts';
import { SourceManager } from '../ingest/sources/manager.ts';
import type { Logger } from './errors.ts';
import type { OriginPolicy } from './origin-guard.ts';
import { checkLiteralHost, guardedLookup } from '../notify/url-guard.ts';
import type { LookupFunction } from 'node:net';
import { controlRoutes } from './routes/control.ts';
import { logRoutes } from './routes/logs.ts';
import { sourceRoutes } from './routes/sources.ts';
import { streamRoutes } from './routes/streams.ts';
import { attachWebSocket } from './ws.ts';

export interface LiveDoors {
  routes: Hono[];
  control: ControlDesk;
  sources: SourceManager;
  /** Serves `/ws` on the listening server and resumes the stored upstream subscriptions. */
  start(server: ServerType): Promise<void>;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
const PING_MS = 30_000;

export interface LiveOptions {
  origins: OriginPolicy;
  /** ANALYST_WEBHOOK_ALLOW_PRIVATE: sources, like webhooks, may then reach private addresses. */
  allowPrivate: boolean;
  instance: string;
  /** The service's own address once it listens: a source may not point at it. */
  selfUrl: () => string;
}

export function liveDoors(service: AnalystService, config: Config, log: Logger, live: LiveOptions): LiveDoors {
  // One whole batch (plus the findings it raises) published at once must fit, or every client
  // of a busy run would overflow on the first large batch.
  const maxBuffered = 2 * config.ANALYST_MAX_BATCH_EVENTS;
  const control = new ControlDesk(service);
  const sources = new SourceManager(service, log, {
    instance: live.instance,
    guard: {
      check: (url) => checkLiteralHost(url, live.allowPrivate),
      lookup: guardedLookup(live.allowPrivate) as LookupFunction,
    },
  });
  let closeWs: (() => void) | undefined;
  // SSE streams never end by themselves: this ends them when the server stops, and their clients reconnect with Last-Event-ID.
  const closing = new AbortController();
  // Every open stream listens for it: hundreds of dashboards are no leak to warn about.
  setMaxListeners(0, closing.signal);
  return {
    control,
    sources,
    routes: [
      streamRoutes(service, { maxBuffered, heartbeatMs: HEARTBEAT_MS, retryMs: RETRY_MS, closing: closing.signal }),
      controlRoutes(control),
      logRoutes(service, config.ANALYST_MAX_BATCH_EVENTS),
      sourceRoutes(sources, { allowPrivate: live.allowPrivate, selfUrls: () => [live.selfUrl(), config.ANALYST_PUBLIC_URL ?? ''] }),
    ],
    async start(server) {
      closeWs = attachWebSocket(
        server as Server,
        service,
        control,
        { maxBatchEvents: config.ANALYST_MAX_BATCH_EVENTS, maxPayload: config.ANALYST_MAX_BODY_BYTES, maxBuffered, pingMs: PING_MS, token: config.ANALYST_TOKEN, origins: live.origins },
        log,
      );
      await sources.start();
    },
    async close() {
      closing.abort();
      closeWs?.();
      await sources.stop();
    },
  };
}
