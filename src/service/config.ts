import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { setVariables } from '../domain/environment.ts';
import { parseOrThrow } from '../domain/errors.ts';
import { isPostgresUrl } from '../store/open.ts';

const flag = z
  .string()
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Every setting comes from the environment; `.env.example` lists them with these defaults. */
export const ConfigSchema = z.object({
  ANALYST_HOST: z.string().default('127.0.0.1'),
  ANALYST_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  ANALYST_DB: z.string().default('./data/analyst.db'),
  ANALYST_TOKEN: z.string().optional(),
  ANALYST_PUBLIC_URL: z.string().url().optional(),
  /** More host names the service answers to (reverse proxies), comma-separated; `.example.com` for subdomains, `*` for any. */
  ANALYST_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((h) => h.trim()).filter(Boolean)),
  ANALYST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Points kept per canonical metric in a run's rolling window. */
  ANALYST_CONTEXT_WINDOW: z.coerce.number().int().min(8).max(100_000).default(256),
  /** Distinct metric names kept in memory per run. */
  ANALYST_CONTEXT_MAX_METRICS: z.coerce.number().int().min(8).max(100_000).default(256),
  /**
   * Run contexts kept in memory; the least recently used beyond this are rebuilt on demand. Every
   * live run must fit: past the bound, each batch evicts one run (a snapshot written) and brings
   * another back (a snapshot read and replayed), eight times the cost of a small batch. A run's
   * context with a handful of metrics is about 30 KB, so 5,000 live runs take some 150 MB.
   */
  ANALYST_MAX_ACTIVE_RUNS: z.coerce.number().int().min(1).default(5000),
  /** Events between snapshots of a run's context and diagnoser: a run comes back by reading at most this many. */
  ANALYST_SNAPSHOT_EVERY: z.coerce.number().int().min(1).default(5000),
  ANALYST_MAX_BATCH_EVENTS: z.coerce.number().int().min(1).default(10_000),
  ANALYST_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
  /** Where MLflow clients' artifacts are kept; artifactsRoot gives the default. */
  ANALYST_ARTIFACTS_DIR: z.string().optional(),
  /** Largest single artifact an MLflow client may upload (models are often larger than event batches). */
  ANALYST_MAX_ARTIFACT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024 * 1024),
  ANALYST_ALLOW_INSECURE_BIND: flag,
  /** Lets agents pause, resume and stop runs through the MCP server's control_run tool. */
  ANALYST_MCP_ALLOW_CONTROL: flag,
  /** A request whose headers and body have not all arrived by then is answered 408 and closed. */
  ANALYST_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
});
export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseOrThrow(ConfigSchema, { ...setVariables(env), ...defined }, 'configuration');
}

/**
 * The artifact folder: the one set, else `artifacts/` beside a SQLite file, else (a PostgreSQL
 * URL has no folder to sit beside) `./data/artifacts`, which replicas must share.
 */
export function artifactsRoot(config: Pick<Config, 'ANALYST_DB' | 'ANALYST_ARTIFACTS_DIR'>): string {
  if (config.ANALYST_ARTIFACTS_DIR) return config.ANALYST_ARTIFACTS_DIR;
  return isPostgresUrl(config.ANALYST_DB) ? path.join('data', 'artifacts') : path.join(path.dirname(config.ANALYST_DB), 'artifacts');
}

const LOOPBACK = new Set(['localhost', '::1', '[::1]']);

/** Only addresses, never a name that merely starts like one: `127.evil.example` is not loopback. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || (isIP(host) === 4 && host.startsWith('127.'));
}
