import type { Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { AnalystError } from '../domain/errors.ts';
import { artifactsRoot, isLoopback, type Config } from '../service/config.ts';
import { createLogger } from '../service/logger.ts';
import { ArtifactStore } from '../store/artifact-store.ts';
import { AnalystService } from '../service/service.ts';
import { LivenessTimer, livenessFromEnv } from '../service/liveness.ts';
import { createTelemetry } from '../service/telemetry.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
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
import { reportRoutes } from './routes/report.ts';

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

/**
 * Thousands of trainers may connect in the same second (after a restart of the service, say).
 * The kernel's default queue of 511 connections not yet accepted overflows then, and a dropped
 * connection attempt is retried by the client's kernel only after 1, 3, 7 s...: seconds of
 * latency and timeouts for nothing. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 8192;

/**
 * An idle connection is kept longer than a trainer waits between batches (and longer than the
 * 60 s idle limit of common load balancers): closed under a client that just chose to reuse it,
 * its next request would fail with a reset.
 */
const KEEP_ALIVE_MS = 65_000;

/** How long requests in flight may take to finish once the server is asked to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The store, or an error that names the file and what to do: the usual cause is a folder the service cannot write. */
async function openDatabase(path: string): Promise<Store> {
  try {
    return await openStore(path);
  } catch (err) {
    // Already in words (another server holds the file): said as it is.
    if (err instanceof AnalystError) throw err;
    throw new AnalystError('unavailable', `cannot open the database ${path}: ${(err as Error).message}; set ANALYST_DB (or --db) to a file in a writable folder`);
  }
}

function listenError(err: NodeJS.ErrnoException, config: Config): Error {
  const where = `${config.ANALYST_HOST}:${config.ANALYST_PORT}`;
  if (err.code === 'EADDRINUSE') return new AnalystError('unavailable', `cannot listen on ${where}: the port is in use; stop what uses it or set ANALYST_PORT (or --port) to another port`);
  if (err.code === 'EACCES') return new AnalystError('unavailable', `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set ANALYST_PORT (or --port) to another port`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return new AnalystError('unavailable', `cannot listen on ${where}: no such address on this machine; set ANALYST_HOST (or --host)`);
  return new AnalystError('unavailable', `cannot listen on ${where}: ${err.message}`);
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
  const store = await openDatabase(config.ANALYST_DB);
  const integrity = await store.integrityReport();
  if (!integrity.ok) log.error({ integrity }, 'database integrity: acknowledged events are missing or the file is damaged');
  const telemetry = createTelemetry();
  const service = new AnalystService({
    store,
    telemetry,
    limits: { window: config.ANALYST_CONTEXT_WINDOW, maxMetrics: config.ANALYST_CONTEXT_MAX_METRICS, recentEvents: 32 },
    maxActiveRuns: config.ANALYST_MAX_ACTIVE_RUNS,
    snapshotEvery: config.ANALYST_SNAPSHOT_EVERY,
    liveness: livenessFromEnv(env),
  });
  await service.followReplicas();
  const instance = randomUUID();
  const silence = new LivenessTimer(service.liveness.checkEveryMs, () => service.checkSilenceAs(instance), (err) => log.error({ err }, 'silence check failed'));
  const origins = new OriginPolicy({ bind: config.ANALYST_HOST, publicUrl: config.ANALYST_PUBLIC_URL, allowedHosts: config.ANALYST_ALLOWED_HOSTS, instance });
  let url = '';
  const live = liveDoors(service, config, log, { origins, instance, allowPrivate: settingsFromEnv(env).allowPrivate, selfUrl: () => url });
  // A bad prompt template fails here, at start; the auto mode asks Ollama once whether it answers.
  const { analyst, selection } = await createAnalyst({ source: analystSource(service), store, registry: telemetry.registry, env });
  const disconnectAnalyst = connectAnalyst(service, analyst, log);
  const notifier = await Notifier.open({
    store,
    baseUrl: () => config.ANALYST_PUBLIC_URL ?? url,
    log,
    summarize: async (runId, finding) => (await analyst.analyze({ run: runId, kind: 'troubleshoot', question: `Explain the ${finding.kind} finding and what to do about it.` })).text,
    ...settingsFromEnv(env),
  });
  service.addSink(notifier);
  // Alerts come with finding changes and run endings, committed here or on another replica.
  service.bus.subscribe('*', (e) => {
    if (e.type === 'run_finished' || e.type.startsWith('finding_')) notifier.kick();
  });
  const app = createApp({
    service,
    log,
    token: config.ANALYST_TOKEN,
    origins,
    maxBodyBytes: config.ANALYST_MAX_BODY_BYTES,
    maxBatchEvents: config.ANALYST_MAX_BATCH_EVENTS,
    artifacts: new ArtifactStore(artifactsRoot(config), config.ANALYST_MAX_ARTIFACT_BYTES),
    extra: [...live.routes, webhookRoutes(notifier, async (ref) => (await service.run(ref)).id), analystRoutes({ analyst }), reportRoutes({ service, analyst })],
    mcpAllowControl: config.ANALYST_MCP_ALLOW_CONTROL,
  });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = createAdaptorServer({ fetch: app.fetch, hostname: config.ANALYST_HOST, serverOptions: requestLimits(config.ANALYST_REQUEST_TIMEOUT_MS) });
      (s as Server).keepAliveTimeout = KEEP_ALIVE_MS;
      s.once('error', reject);
      s.listen({ port: config.ANALYST_PORT, host: config.ANALYST_HOST, backlog: LISTEN_BACKLOG }, () => resolve(s));
    });
  } catch (err) {
    disconnectAnalyst();
    await live.close();
    await store.close();
    throw listenError(err as NodeJS.ErrnoException, config);
  }
  await live.start(server);
  const responding = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    responding.add(res);
    res.once('close', () => responding.delete(res));
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.ANALYST_HOST.includes(':') ? `[${config.ANALYST_HOST}]` : config.ANALYST_HOST;
  url = `http://${host}:${port}`;
  notifier.start();
  silence.start();
  // Logged once listening, so that a start that fails says only why.
  log.info({ url, db: config.ANALYST_DB, llm: selection.because }, 'listening');
  for (const warning of selection.warnings) log.warn({ llm: warning }, 'LLM setting looks wrong');
  let closing: Promise<void> | undefined;
  return {
    url,
    integrity,
    port,
    service,
    app,
    server,
    // Once: a second call (a signal during the stop, a test's cleanup) waits for the first.
    close: () => (closing ??= stop()),
  };

  async function stop(): Promise<void> {
    silence.stop();
    await service.releaseSilence(instance).catch((err: unknown) => log.warn({ err }, 'could not give back the stall watcher'));
    // Stop accepting first: a batch already being received is still stored and answered, and
    // each connection closes as soon as its last response is sent (not after the keep-alive wait).
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const res of responding) res.once('close', () => setImmediate(() => (server as Server).closeIdleConnections()));
    // Streams never end by themselves; live.close() ends them.
    await live.close();
    // A client that stops sending mid-request must not hold the shutdown forever.
    const cut = setTimeout(() => (server as Server).closeAllConnections(), SHUTDOWN_GRACE_MS);
    await drained;
    clearTimeout(cut);
    disconnectAnalyst();
    await notifier.stop();
    await service.unfollow();
    // Runs come back after the restart from these, not by replaying their history.
    await service.states.checkpointAll(Date.now());
    await store.close();
  }
}
