import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { AnalystError } from '../domain/errors.ts';
import { isLoopback, type Config } from '../service/config.ts';
import { createLogger } from '../service/logger.ts';
import { AnalystService } from '../service/service.ts';
import { LivenessTimer, livenessFromEnv } from '../service/liveness.ts';
import { createTelemetry } from '../service/telemetry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createApp } from './app.ts';
import { liveDoors } from './live.ts';
import { Notifier } from '../notify/notifier.ts';
import { settingsFromEnv } from '../notify/config.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { createAnalyst } from '../analyst/create.ts';
import { analystSource, connectAnalyst } from '../service/analyst-source.ts';
import { analystRoutes } from './routes/analyst.ts';

export interface RunningServer {
  url: string;
  port: number;
  service: AnalystService;
  app: Hono;
  server: ServerType;
  close(): Promise<void>;
}

/** Opens the store, wires the service and serves HTTP; resolves once the port is listening. */
export async function startServer(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  if (!isLoopback(config.ANALYST_HOST) && !config.ANALYST_TOKEN && !config.ANALYST_ALLOW_INSECURE_BIND) {
    throw new AnalystError(
      'unauthorized',
      `refusing to listen on ${config.ANALYST_HOST} without a token: anyone on the network could write runs. ` +
        'Set ANALYST_TOKEN=<a long random string> (clients then send "Authorization: Bearer <token>"), ' +
        'or bind to 127.0.0.1.',
    );
  }
  const log = createLogger(config.ANALYST_LOG_LEVEL);
  const store = new SqliteStore(config.ANALYST_DB);
  const telemetry = createTelemetry();
  const service = new AnalystService({
    store,
    telemetry,
    limits: { window: config.ANALYST_CONTEXT_WINDOW, maxMetrics: config.ANALYST_CONTEXT_MAX_METRICS, recentEvents: 32 },
    maxActiveRuns: config.ANALYST_MAX_ACTIVE_RUNS,
    snapshotEvery: config.ANALYST_SNAPSHOT_EVERY,
    liveness: livenessFromEnv(env),
  });
  const silence = new LivenessTimer(service.liveness.checkEveryMs, () => service.checkSilence(), (err) => log.error({ err }, 'silence check failed'));
  const live = liveDoors(service, config, log);
  // A bad prompt template fails here, at start; the auto mode asks Ollama once whether it answers.
  const { analyst, selection } = await createAnalyst({ source: analystSource(service), db: store.db, registry: telemetry.registry, env });
  log.info({ llm: selection.because }, 'analyst ready');
  const disconnectAnalyst = connectAnalyst(service, analyst, log);
  let url = '';
  const notifier = new Notifier({
    db: store.db,
    baseUrl: () => config.ANALYST_PUBLIC_URL ?? url,
    log,
    summarize: async (runId, finding) => (await analyst.analyze({ run: runId, kind: 'troubleshoot', question: `Explain the ${finding.kind} finding and what to do about it.` })).text,
    ...settingsFromEnv(env),
  });
  service.addSink(notifier);
  const app = createApp({
    service,
    log,
    token: config.ANALYST_TOKEN,
    maxBodyBytes: config.ANALYST_MAX_BODY_BYTES,
    maxBatchEvents: config.ANALYST_MAX_BATCH_EVENTS,
    extra: [...live.routes, webhookRoutes(notifier, (ref) => service.run(ref).id), analystRoutes({ analyst })],
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.ANALYST_HOST, port: config.ANALYST_PORT }, () => resolve(s));
    s.once('error', reject);
  });
  live.start(server);
  const port = (server.address() as AddressInfo).port;
  const host = config.ANALYST_HOST.includes(':') ? `[${config.ANALYST_HOST}]` : config.ANALYST_HOST;
  url = `http://${host}:${port}`;
  notifier.start();
  silence.start();
  log.info({ url, db: config.ANALYST_DB }, 'listening');
  return {
    url,
    port,
    service,
    app,
    server,
    close: async () => {
      silence.stop();
      disconnectAnalyst();
      await live.close();
      await notifier.stop();
      await new Promise<void>((resolve) => {
        server.close(() => {
          // Runs come back after the restart from these, not by replaying their history.
          service.states.checkpointAll(Date.now());
          store.close();
          resolve();
        });
        // Streams keep connections open; end them so close() does not wait for clients.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
