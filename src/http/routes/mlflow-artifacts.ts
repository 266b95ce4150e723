import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { AnalystError } from '../../domain/errors.ts';
import type { ArtifactStore } from '../../store/artifact-store.ts';

/** What a download is served as: images as images, text as plain text, the rest as bytes; never HTML or script. */
const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  log: 'text/plain',
  json: 'text/plain',
  yaml: 'text/plain',
  yml: 'text/plain',
  csv: 'text/plain',
  md: 'text/plain',
  py: 'text/plain',
};

export function contentTypeOf(file: string): string {
  const base = file.split('/').at(-1) ?? '';
  if (base === 'MLmodel') return 'text/plain';
  const ext = base.includes('.') ? base.split('.').at(-1)!.toLowerCase() : '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/**
 * The path after `marker` in the request's URL, each part percent-decoded on its own, so an
 * encoded "/" cannot join two parts into one that escapes the checks.
 */
export function pathAfter(url: string, marker: string): string {
  const raw = new URL(url).pathname;
  const at = raw.indexOf(marker);
  if (at < 0) return '';
  return raw
    .slice(at + marker.length)
    .split('/')
    .map((part) => {
      let s: string;
      try {
        s = decodeURIComponent(part);
      } catch {
        throw new AnalystError('invalid_body', `artifact path part '${part.slice(0, 40)}' is not valid percent-encoding`);
      }
      if (s.includes('/')) throw new AnalystError('invalid_body', `artifact path part '${part.slice(0, 40)}' encodes a '/'`);
      return s;
    })
    .join('/');
}

const artifactPath = (c: Context) => pathAfter(c.req.url, '/artifacts/');

/** Sends a stored file with its size and type; nosniff, so a browser never runs what it was given. */
export async function sendArtifact(store: ArtifactStore, relative: string): Promise<Response> {
  const file = await store.read(relative);
  if (!file) throw new AnalystError('not_found', `no artifact at '${relative}'`);
  return new Response(Readable.toWeb(file.stream()) as ReadableStream, {
    headers: { 'content-type': contentTypeOf(relative), 'content-length': String(file.size), 'x-content-type-options': 'nosniff' },
  });
}

/**
 * MLflow's artifact proxy (`mlflow server --serve-artifacts`): uploads, downloads, listings and
 * deletions by path, on the local disk behind `store`. Multipart uploads are for cloud stores
 * and are declined as MLflow declines them for a local folder.
 */
export function mlflowArtifactRoutes(store: ArtifactStore): Hono {
  const app = new Hono();

  // What MLflow's own server answers when its artifact store is a local folder: the client (with
  // MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD set) recognises this answer and uploads in one request.
  for (const step of ['create', 'complete', 'abort']) {
    app.post(`/mpu/${step}/*`, async (c) => c.json({ error_code: 'NOT_IMPLEMENTED', message: 'Multipart upload is not supported for the current artifact repository' }, 501));
  }

  app.get('/artifacts', async (c) => {
    const dir = c.req.query('path') ?? '';
    const files = await store.list(dir);
    // As MLflow: a file or a missing path lists as nothing.
    return c.json(files?.length ? { files } : {});
  });

  app.put('/artifacts/*', async (c) => {
    await store.put(artifactPath(c), c.req.raw.body);
    return c.json({});
  });

  app.get('/artifacts/*', async (c) => sendArtifact(store, artifactPath(c)));

  app.delete('/artifacts/*', async (c) => {
    await store.delete(artifactPath(c));
    return c.json({});
  });

  return app;
}
