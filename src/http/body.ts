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

/** The file a client uploads: the raw body, or the one file part of a `multipart/form-data` form (`curl -F file=@...`). */
export async function readUpload(c: Context): Promise<{ content: Buffer; filename?: string }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'multipart/form-data') return { content: Buffer.from(await c.req.arrayBuffer()) };
  let form: Record<string, string | File | (string | File)[]>;
  try {
    form = await c.req.parseBody({ all: true });
  } catch (err) {
    throw new AnalystError('invalid_body', `not a readable multipart/form-data body: ${(err as Error).message}`);
  }
  const files = Object.entries(form).flatMap(([field, v]) => (Array.isArray(v) ? v : [v]).filter((f): f is File => f instanceof File).map((file) => ({ field, file })));
  if (files.length !== 1) {
    const found = files.length ? `${files.length} files (${files.map((f) => f.field).join(', ')})` : `no file part (fields: ${Object.keys(form).join(', ') || 'none'})`;
    throw new AnalystError('invalid_body', `send exactly one file part, e.g. curl -F file=@trainer_state.json: found ${found}`, [
      { path: files.length ? files[1].field : 'file', message: files.length ? 'one file per import' : 'no file part in the form' },
    ]);
  }
  const { file } = files[0];
  return { content: Buffer.from(await file.arrayBuffer()), filename: file.name || undefined };
}
