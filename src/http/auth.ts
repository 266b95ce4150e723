import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AnalystError } from '../domain/errors.ts';

const OPEN_PATHS = new Set(['/healthz']);

/** Compares in constant time, so response timing does not leak how much of a guess was right. */
export function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or '' without one. */
export function bearerOf(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice(7) : '';
}

/** Bearer-token check on every route but the health probe; a no-op when no token is configured. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    if (!tokenMatches(bearerOf(c.req.header('authorization')), token)) {
      throw new AnalystError('unauthorized', 'missing or wrong bearer token (Authorization: Bearer <ANALYST_TOKEN>)');
    }
    return next();
  };
}
