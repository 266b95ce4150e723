import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { stringifyJson } from '../domain/values.ts';

/** A body with no promise in it: a forgotten `await` fails to compile instead of answering `{}`. */
type Settled<T> = T extends PromiseLike<unknown> ? never : T extends object ? { [K in keyof T]: Settled<T[K]> } : T;

/** A JSON response that keeps NaN and ±Infinity as "NaN" / "Infinity" / "-Infinity" strings. */
export function sendJson<T>(c: Context, body: T & Settled<T>, status: ContentfulStatusCode = 200): Response {
  return c.body(stringifyJson(body), status, { 'content-type': 'application/json; charset=utf-8' });
}
