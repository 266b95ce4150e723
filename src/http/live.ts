// The live doors in one piece for the server to mount: SSE, WebSocket, control, log lines, upstream sources.
import type { Server } from 'node:http';
import type { ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../service/config.ts';
import { ControlDesk } from '../service/control.ts';
import type { AnalystService } from '../service/service.ts';
import { SourceManager } from '../ingest/sources/manager.ts';
import type { Logger } from './errors.ts';
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
  start(server: ServerType): void;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
const PING_MS = 30_000;

export function liveDoors(service: AnalystService, config: Config, log: Logger): LiveDoors {
  // One whole batch (plus the findings it raises) published at once must fit, or every client
  // of a busy run would overflow on the first large batch.
  const maxBuffered = 2 * config.ANALYST_MAX_BATCH_EVENTS;
  const control = new ControlDesk(service);
  const sources = new SourceManager(service, log);
  let closeWs: (() => void) | undefined;
  // SSE streams never end by themselves: this ends them when the server stops, and their clients reconnect with Last-Event-ID.
  const closing = new AbortController();
  return {
    control,
    sources,
    routes: [
      streamRoutes(service, { maxBuffered, heartbeatMs: HEARTBEAT_MS, retryMs: RETRY_MS, closing: closing.signal }),
      controlRoutes(control),
      logRoutes(service, config.ANALYST_MAX_BATCH_EVENTS),
      sourceRoutes(sources),
    ],
    start(server) {
      closeWs = attachWebSocket(
        server as Server,
        service,
        control,
        { maxBatchEvents: config.ANALYST_MAX_BATCH_EVENTS, maxPayload: config.ANALYST_MAX_BODY_BYTES, maxBuffered, pingMs: PING_MS, token: config.ANALYST_TOKEN },
        log,
      );
      sources.start();
    },
    async close() {
      closing.abort();
      closeWs?.();
      await sources.stop();
    },
  };
}
