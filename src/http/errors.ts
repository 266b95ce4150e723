import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AnalystError } from '../domain/errors.ts';
import { storageUnavailable } from '../store/faults.ts';

/** Minimal logger shape the doors need; pino satisfies it. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Every error leaves as `{error: {code, message, issues?}}`. Bad input is a 4xx with the path of
 * what is wrong; only a fault of the service itself is a 500, and that is logged.
 */
export function errorResponse(err: Error, c: Context, log: Logger): Response {
  if (c.req.raw.signal.aborted) return clientAborted(c, log);
  const unavailable = storageUnavailable(err);
  if (unavailable) {
    log.warn({ path: c.req.path, reason: unavailable.message }, 'request refused: storage unavailable');
    err = unavailable;
  }
  if (err instanceof AnalystError) {
    const body = { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...err.details } };
    // An overloaded service says when to come back, in the header every HTTP client knows.
    if (typeof err.details?.retry_after === 'number') c.header('Retry-After', String(err.details.retry_after));
    return c.json(body, err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? 'too_large' : status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : 'invalid_body';
    return c.json({ error: { code, message: err.message || 'request rejected' } }, status);
  }
  log.error({ err, path: c.req.path }, 'unhandled error');
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/**
 * The client went away before its request was read or answered: nobody is left to answer, and
 * nothing is wrong with the service, so it is noted as a client abort, without a stack.
 */
export function clientAborted(c: Context, log: Logger): Response {
  log.info({ method: c.req.method, path: c.req.path }, 'client aborted the request');
  return c.body(null, 499 as ContentfulStatusCode);
}
