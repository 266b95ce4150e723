// Upstream SSE subscriptions: POST /sources, GET /sources[/:id], DELETE /sources/:id.
import { Hono } from 'hono';
import { CreateSourceInput } from '../../domain/streams.ts';
import type { SourceManager } from '../../ingest/sources/manager.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../json.ts';

export function sourceRoutes(sources: SourceManager): Hono {
  const app = new Hono();

  app.post('/sources', async (c) => {
    const { source, created } = sources.add(await readJson(c, CreateSourceInput));
    return sendJson(c, { ...source, created }, created ? 201 : 200);
  });

  app.get('/sources', (c) => sendJson(c, { sources: sources.list() }));

  app.get('/sources/:id', (c) => sendJson(c, sources.get(c.req.param('id'))));

  app.delete('/sources/:id', async (c) => {
    await sources.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
