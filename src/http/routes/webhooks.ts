// Webhook subscriptions, their delivery history, and the polled alert stream.
import { Hono } from 'hono';
import { z } from 'zod';
import { AlertsQuery, CreateWebhookInput } from '../../domain/webhooks.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { readJson, readQuery } from '../body.ts';
import { sendJson } from '../json.ts';

const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** `resolveRun` turns a `project/name` or name in `/alerts?run=` into the id of its newest run. */
export function webhookRoutes(notifier: Notifier, resolveRun: (ref: string) => Promise<string> = async (ref) => ref): Hono {
  const app = new Hono();

  // The secret is in this answer only: afterwards a subscription is listed without it.
  app.post('/webhooks', async (c) => sendJson(c, await notifier.createWebhook(await readJson(c, CreateWebhookInput)), 201));

  app.get('/webhooks', async (c) => sendJson(c, { webhooks: await notifier.listWebhooks() }));

  app.delete('/webhooks/:id', async (c) => {
    await notifier.deleteWebhook(c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/webhooks/:id/test', async (c) => sendJson(c, await notifier.testWebhook(c.req.param('id'))));

  app.get('/webhooks/:id/deliveries', async (c) => {
    const { limit } = readQuery(c, DeliveriesQuery);
    return sendJson(c, { deliveries: await notifier.listDeliveries(c.req.param('id'), limit) });
  });

  app.get('/alerts', async (c) => {
    const q = readQuery(c, AlertsQuery);
    return sendJson(c, await notifier.listAlerts(q.run === undefined ? q : { ...q, run: await resolveRun(q.run) }));
  });

  return app;
}
