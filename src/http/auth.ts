import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AnalystError } from '../domain/errors.ts';

const OPEN_PATHS = new Set(['/healthz']);

/** Bearer-token check on every route but the health probe; a no-op when no token is configured. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  const expected = Buffer.from(token);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AnalystError('unauthorized', 'missing or wrong bearer token (Authorization: Bearer <ANALYST_TOKEN>)');
    }
    return next();
  };
}
