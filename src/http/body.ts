import type { Context } from 'hono';
import type { z } from 'zod';
import { AnalystError, parseOrThrow } from '../domain/errors.ts';
import { parseJsonBody } from '../ingest/json-body.ts';

/** Reads the body as text, refusing anything but the media types a route accepts. */
export async function readText(c: Context, accepted: string[]): Promise<{ text: string; type: string }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const ok = accepted.some((a) => type === a || (a === 'application/json' && type.endsWith('+json')));
  if (!ok) {
    throw new AnalystError(
      'unsupported_media_type',
      `content-type must be ${accepted.join(' or ')}${type ? `, not ${type}` : ' (none was sent)'}`,
    );
  }
  return { text: await c.req.text(), type };
}

/** A JSON body validated with a schema: 415 for another media type, 400 with paths when invalid. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const { text } = await readText(c, ['application/json']);
  return parseOrThrow(schema, text.trim() ? parseJsonBody(text) : {});
}

/** Query parameters validated with a schema; 400 with the parameter's name when invalid. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseOrThrow(schema, c.req.query(), 'query', 'invalid_query');
}
