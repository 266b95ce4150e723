// Upstream SSE subscriptions: POST /sources, GET /sources[/:id], DELETE /sources/:id.
import { isIP } from 'node:net';
import { Hono } from 'hono';
import { AnalystError } from '../../domain/errors.ts';
import { CreateSourceInput } from '../../domain/streams.ts';
import type { SourceManager } from '../../ingest/sources/manager.ts';
import { assertWebhookUrl, isPrivateAddress } from '../../notify/url-guard.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../json.ts';

export interface SourceRouteOptions {
  allowPrivate: boolean;
  /** The addresses of this service itself (its listening URL, ANALYST_PUBLIC_URL). */
  selfUrls: () => string[];
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/**
 * A source that reads this service feeds its own events back to itself without end. Refused
 * here when its URL plainly names the service (its own host and port, or a local name on its
 * port); through a proxy or another name, the service still recognises its own requests.
 */
function pointsAtSelf(raw: string, selfUrls: string[]): boolean {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const local = host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host));
  return selfUrls.filter(Boolean).some((s) => {
    const self = new URL(s);
    return portOf(self) === portOf(url) && (self.host.toLowerCase() === url.host.toLowerCase() || local);
  });
}

export function sourceRoutes(sources: SourceManager, opts: SourceRouteOptions): Hono {
  const app = new Hono();

  app.post('/sources', async (c) => {
    const input = await readJson(c, CreateSourceInput);
    if (pointsAtSelf(input.url, opts.selfUrls())) {
      throw new AnalystError('invalid_body', 'url: a source cannot read this service itself (its events would come back in a loop)', [
        { path: 'url', message: 'points at this service' },
      ]);
    }
    // The webhook guard: no loopback, private or link-local address unless the operator allows it.
    await assertWebhookUrl(input.url, opts.allowPrivate);
    const { source, created } = await sources.add(input);
    return sendJson(c, { ...source, created }, created ? 201 : 200);
  });

  app.get('/sources', async (c) => sendJson(c, { sources: await sources.list() }));

  app.get('/sources/:id', async (c) => sendJson(c, await sources.get(c.req.param('id'))));

  app.delete('/sources/:id', async (c) => {
    await sources.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
