import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { stringifyJson } from '../domain/values.ts';

/** A JSON response that keeps NaN and ±Infinity as "NaN" / "Infinity" / "-Infinity" strings. */
export function sendJson(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(stringifyJson(body), status, { 'content-type': 'application/json; charset=utf-8' });
}
