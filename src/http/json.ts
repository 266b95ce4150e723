import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { stringifyJson } from '../domain/values.ts';

/** A JSON response that keeps NaN and ±Infinity as "NaN" / "Infinity" / "-Infinity" strings. */
type Settled<T> = T extends PromiseLike<unknown> ? never : T extends object ? { [K in keyof T]: Settled<T[K]> } : T;
export function sendJson<T>(c: Context, body: T & Settled<T>, status: ContentfulStatusCode = 200): Response {
  return c.body(stringifyJson(body), status, { 'content-type': 'application/json; charset=utf-8' });
}
