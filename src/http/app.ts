import { Hono } from 'hono';
import { AnalystError } from '../domain/errors.ts';
import type { AnalystService } from '../service/service.ts';
import { bearerAuth } from './auth.ts';
import { bodyLimit } from './body-limit.ts';
import { errorResponse, type Logger } from './errors.ts';
import { clientRoutes } from './routes/client.ts';
import { originGuard, type OriginPolicy } from './origin-guard.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { exportRoutes } from './routes/export.ts';
import { importRoutes } from './routes/import.ts';
import { lineageRoutes } from './routes/lineage.ts';
import { mountMcp } from './routes/mcp.ts';
import { mlflowAccessLog, mlflowError, mlflowNotFound, mlflowRoutes } from './routes/mlflow.ts';
import { mlflowArtifactRoutes } from './routes/mlflow-artifacts.ts';
import { runArtifactRoutes } from './routes/run-artifacts.ts';
import { runRoutes } from './routes/runs.ts';
import type { ArtifactStore } from '../store/artifact-store.ts';
import { systemRoutes } from './routes/system.ts';

export interface AppOptions {
  service: AnalystService;
  log: Logger;
  token?: string;
  maxBodyBytes: number;
  maxBatchEvents: number;
  /** Host and Origin checks (DNS rebinding, cross-site writes); every route, the dashboard's too. */
  origins?: OriginPolicy;
  /** MLflow clients' artifacts; without it the artifact routes answer ENDPOINT_NOT_FOUND. */
  artifacts?: ArtifactStore;
  /** Extra route groups (streams, analyst, webhooks) mounted at the root. */
  extra?: Hono[];
  /** ANALYST_MCP_ALLOW_CONTROL: the MCP server's control_run tool. */
  mcpAllowControl?: boolean;
}

const MLFLOW_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];
const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts/', '/ajax-api/2.0/mlflow-artifacts/'];
/** Every path an MLflow client calls: its tracking API and its artifact proxy. */
const MLFLOW_DOORS = [...MLFLOW_PREFIXES, ...ARTIFACT_PREFIXES];
const isMlflow = (path: string) => MLFLOW_DOORS.some((p) => path.startsWith(p));

/** The Hono app: every HTTP door of the service, behind one error shape and one auth check. */
export function createApp(opts: AppOptions): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  // MLflow clients read MLflow's error shape, also for the auth and size checks that run first.
  app.onError((err, c) => (isMlflow(c.req.path) ? mlflowError : errorResponse)(err, c, opts.log));
  app.notFound((c) =>
    isMlflow(c.req.path)
      ? mlflowNotFound(c)
      : errorResponse(new AnalystError('not_found', `no route ${c.req.method} ${c.req.path}`), c, opts.log),
  );
  app.use(async (c, next) => {
    if (!isMlflow(c.req.path)) return next();
    await mlflowAccessLog(c, next, opts.log);
  });
  if (opts.origins) app.use(originGuard(opts.origins));
  app.route('/', dashboardRoutes()); // before auth: static files only; the page asks for the token itself
  app.route('/', clientRoutes()); // before auth too: the Python client's source
  app.use(bearerAuth(opts.token));
  const limit = bodyLimit(opts.maxBodyBytes, () => {
    throw new AnalystError('too_large', `request body exceeds ${opts.maxBodyBytes} bytes`);
  });
  // An artifact upload streams to disk under its own limit (ANALYST_MAX_ARTIFACT_BYTES).
  app.use((c, next) => (opts.artifacts && ARTIFACT_PREFIXES.some((p) => c.req.path.startsWith(p)) && c.req.method === 'PUT' ? next() : limit(c, next)));
  app.route('/', systemRoutes(opts.service, startedAt));
  app.route('/', exportRoutes(opts.service));
  app.route('/', runRoutes(opts.service, opts.maxBatchEvents));
  app.route('/', importRoutes(opts.service, opts.maxBatchEvents));
  app.route('/', lineageRoutes(opts.service));
  for (const prefix of MLFLOW_PREFIXES) app.route(prefix.slice(0, -1), mlflowRoutes(opts.service, opts.log));
  if (opts.artifacts) {
    for (const prefix of ARTIFACT_PREFIXES) app.route(prefix.slice(0, -1), mlflowArtifactRoutes(opts.artifacts));
    app.route('/', runArtifactRoutes(opts.service, opts.artifacts));
  }
  for (const extra of opts.extra ?? []) app.route('/', extra);
  mountMcp(app, opts.mcpAllowControl ?? false);
  return app;
}
