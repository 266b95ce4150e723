// Training control over HTTP: request, read (or poll for pending), and acknowledge.
import { Hono } from 'hono';
import { z } from 'zod';
import { ControlAckInput, ControlRequestInput } from '../../domain/streams.ts';
import type { ControlDesk } from '../../service/control.ts';
import { readJson, readQuery } from '../body.ts';
import { sendJson } from '../json.ts';

const ControlQuery = z.object({ pending: z.enum(['0', '1', 'true', 'false']).optional() });

export function controlRoutes(desk: ControlDesk): Hono {
  const app = new Hono();

  app.post('/runs/:id/control', async (c) => {
    const input = await readJson(c, ControlRequestInput);
    return sendJson(c, await desk.request(c.req.param('id'), input), 202);
  });

  // `?pending=1` is the trainer's poll: it marks what it returns as delivered.
  app.get('/runs/:id/control', async (c) => {
    const q = readQuery(c, ControlQuery);
    const pending = q.pending === '1' || q.pending === 'true';
    return sendJson(c, { controls: pending ? await desk.poll(c.req.param('id')) : await desk.list(c.req.param('id'), false) });
  });

  app.post('/runs/:id/control/:cid/ack', async (c) => {
    const input = await readJson(c, ControlAckInput);
    return sendJson(c, await desk.ack(c.req.param('cid'), input, c.req.param('id')));
  });

  return app;
}
