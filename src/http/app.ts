import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AnalystError } from '../domain/errors.ts';
import type { AnalystService } from '../service/service.ts';
import { bearerAuth } from './auth.ts';
import { errorResponse, type Logger } from './errors.ts';
import { clientRoutes } from './routes/client.ts';
import { originGuard, type OriginPolicy } from './origin-guard.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { importRoutes } from './routes/import.ts';
import { mountMcp } from './routes/mcp.ts';
import { mlflowError, mlflowRoutes } from './routes/mlflow.ts';
import { runRoutes } from './routes/runs.ts';
import { systemRoutes } from './routes/system.ts';

export interface AppOptions {
  service: AnalystService;
  log: Logger;
  token?: string;
  maxBodyBytes: number;
  maxBatchEvents: number;
  /** Host and Origin checks (DNS rebinding, cross-site writes); every route, the dashboard's too. */
  origins?: OriginPolicy;
  /** Extra route groups (streams, analyst, webhooks) mounted at the root. */
  extra?: Hono[];
  /** ANALYST_MCP_ALLOW_CONTROL: the MCP server's control_run tool. */
  mcpAllowControl?: boolean;
}

const MLFLOW_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];

/** The Hono app: every HTTP door of the service, behind one error shape and one auth check. */
export function createApp(opts: AppOptions): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  // MLflow clients read MLflow's error shape, also for the auth and size checks that run first.
  app.onError((err, c) => (MLFLOW_PREFIXES.some((p) => c.req.path.startsWith(p)) ? mlflowError : errorResponse)(err, c, opts.log));
  app.notFound((c) => errorResponse(new AnalystError('not_found', `no route ${c.req.method} ${c.req.path}`), c, opts.log));
  if (opts.origins) app.use(originGuard(opts.origins));
  app.route('/', dashboardRoutes()); // before auth: static files only; the page asks for the token itself
  app.route('/', clientRoutes()); // before auth too: the Python client's source
  app.use(bearerAuth(opts.token));
  app.use(
    bodyLimit({
      maxSize: opts.maxBodyBytes,
      onError: () => {
        throw new AnalystError('too_large', `request body exceeds ${opts.maxBodyBytes} bytes`);
      },
    }),
  );
  app.route('/', systemRoutes(opts.service, startedAt));
  app.route('/', runRoutes(opts.service, opts.maxBatchEvents));
  app.route('/', importRoutes(opts.service, opts.maxBatchEvents));
  for (const prefix of MLFLOW_PREFIXES) app.route(prefix.slice(0, -1), mlflowRoutes(opts.service, opts.log));
  for (const extra of opts.extra ?? []) app.route('/', extra);
  mountMcp(app, opts.mcpAllowControl ?? false);
  return app;
}
