import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { AnalystError } from '../domain/errors.ts';
import { isLoopback, type Config } from '../service/config.ts';
import { createLogger } from '../service/logger.ts';
import { AnalystService } from '../service/service.ts';
import { createTelemetry } from '../service/telemetry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { IntegrityReport } from '../domain/integrity.ts';
import { createApp } from './app.ts';
import { liveDoors } from './live.ts';
import { OriginPolicy } from './origin-guard.ts';
import { Notifier } from '../notify/notifier.ts';
import { settingsFromEnv } from '../notify/config.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { createAnalyst } from '../analyst/create.ts';
import { analystSource, connectAnalyst } from '../service/analyst-source.ts';
import { analystRoutes } from './routes/analyst.ts';

export interface RunningServer {
  url: string;
  /** What the start-up check of the database found (also on /healthz). */
  integrity: IntegrityReport;
  port: number;
  service: AnalystService;
  app: Hono;
  server: ServerType;
  close(): Promise<void>;
}

/** A token anyone on the network may try to guess must not be guessable. */
const MIN_TOKEN_CHARS = 16;

/**
 * A body that never finishes would hold its connection and memory for ever: the whole request
 * (headers and body) must arrive within the timeout. Responses are not limited by it, so
 * streams (SSE, chat) stay open. Node looks for late requests at the checking interval.
 */
function requestLimits(timeoutMs: number) {
  return {
    requestTimeout: timeoutMs,
    headersTimeout: Math.min(timeoutMs, 60_000),
    connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(timeoutMs / 4))),
  };
}

/** Opens the store, wires the service and serves HTTP; resolves once the port is listening. */
export async function startServer(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  if (!isLoopback(config.ANALYST_HOST) && !config.ANALYST_ALLOW_INSECURE_BIND) {
    if (!config.ANALYST_TOKEN) {
      throw new AnalystError(
        'unauthorized',
        `refusing to listen on ${config.ANALYST_HOST} without a token: anyone on the network could write runs. ` +
          'Set ANALYST_TOKEN=<a long random string> (clients then send "Authorization: Bearer <token>"), ' +
          'or bind to 127.0.0.1.',
      );
    }
    if (config.ANALYST_TOKEN.length < MIN_TOKEN_CHARS) {
      throw new AnalystError(
        'unauthorized',
        `refusing to listen on ${config.ANALYST_HOST} with a ${config.ANALYST_TOKEN.length}-character token: off loopback it must be at least ${MIN_TOKEN_CHARS} characters (e.g. openssl rand -hex 24)`,
      );
    }
  }
  const log = createLogger(config.ANALYST_LOG_LEVEL);
  const store = new SqliteStore(config.ANALYST_DB);
  const integrity = store.integrityReport();
  if (!integrity.ok) log.error({ integrity }, 'database integrity: acknowledged events are missing or the file is damaged');
  const telemetry = createTelemetry();
  const service = new AnalystService({
    store,
    telemetry,
    limits: { window: config.ANALYST_CONTEXT_WINDOW, maxMetrics: config.ANALYST_CONTEXT_MAX_METRICS, recentEvents: 32 },
    maxActiveRuns: config.ANALYST_MAX_ACTIVE_RUNS,
  });
  const instance = randomUUID();
  const origins = new OriginPolicy({ bind: config.ANALYST_HOST, publicUrl: config.ANALYST_PUBLIC_URL, allowedHosts: config.ANALYST_ALLOWED_HOSTS, instance });
  let url = '';
  const live = liveDoors(service, config, log, { origins, instance, allowPrivate: settingsFromEnv(env).allowPrivate, selfUrl: () => url });
  // A bad prompt template fails here, at start; the auto mode asks Ollama once whether it answers.
  const { analyst, selection } = await createAnalyst({ source: analystSource(service), db: store.db, registry: telemetry.registry, env });
  log.info({ llm: selection.because }, 'analyst ready');
  const disconnectAnalyst = connectAnalyst(service, analyst, log);
  const notifier = new Notifier({
    db: store.db,
    baseUrl: () => config.ANALYST_PUBLIC_URL ?? url,
    // updated_at moves with every stored event, so it is the time of the run's last event.
    listRunningRuns: () => store.runningRuns().map((r) => ({ id: r.id, name: r.name, project: r.project, last_event_at: r.updated_at })),
    log,
    summarize: async (runId, finding) => (await analyst.analyze({ run: runId, kind: 'troubleshoot', question: `Explain the ${finding.kind} finding and what to do about it.` })).text,
    ...settingsFromEnv(env),
  });
  service.addSink(notifier);
  const app = createApp({
    service,
    log,
    token: config.ANALYST_TOKEN,
    origins,
    maxBodyBytes: config.ANALYST_MAX_BODY_BYTES,
    maxBatchEvents: config.ANALYST_MAX_BATCH_EVENTS,
    extra: [...live.routes, webhookRoutes(notifier, (ref) => service.run(ref).id), analystRoutes({ analyst })],
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.ANALYST_HOST, port: config.ANALYST_PORT, serverOptions: requestLimits(config.ANALYST_REQUEST_TIMEOUT_MS) }, () => resolve(s));
    s.once('error', reject);
  });
  live.start(server);
  const port = (server.address() as AddressInfo).port;
  const host = config.ANALYST_HOST.includes(':') ? `[${config.ANALYST_HOST}]` : config.ANALYST_HOST;
  url = `http://${host}:${port}`;
  notifier.start();
  log.info({ url, db: config.ANALYST_DB }, 'listening');
  return {
    url,
    integrity,
    port,
    service,
    app,
    server,
    close: async () => {
      disconnectAnalyst();
      await live.close();
      await notifier.stop();
      await new Promise<void>((resolve) => {
        server.close(() => {
          store.close();
          resolve();
        });
        // Streams keep connections open; end them so close() does not wait for clients.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
