// Seed 2's lineage and seed 4's checkpoint list: stages of a model, its training_info.json both ways.
import { Hono } from 'hono';
import { formatTrainingInfo, LineageImportBody, LineageQuery } from '../../domain/lineage.ts';
import { parseOrThrow } from '../../domain/errors.ts';
import { parseJsonBody } from '../../ingest/json-body.ts';
import { listCheckpoints } from '../../service/checkpoints.ts';
import { Lineage } from '../../service/lineage.ts';
import type { AnalystService } from '../../service/service.ts';
import { readQuery, readText } from '../body.ts';
import { sendJson } from '../json.ts';

export function lineageRoutes(service: AnalystService): Hono {
  const lineage = new Lineage(service);
  const app = new Hono();

  app.get('/runs/:id/lineage', async (c) => sendJson(c, await lineage.of(c.req.param('id'))));

  app.get('/lineage', async (c) => {
    const q = readQuery(c, LineageQuery);
    return sendJson(c, { models: await lineage.models(q.model) });
  });

  // The file as the trainer's manager writes it, to drop next to an exported model.
  app.get('/runs/:id/training_info.json', async (c) => {
    const text = formatTrainingInfo(await lineage.trainingInfo(c.req.param('id')));
    return c.body(text, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  /**
   * One training_info.json as the body, or `{files: [{path, content}], project?}` for a tree of
   * them (`analyst lineage import artifact/`): a run per stage, linked to its parent stage.
   */
  app.post('/lineage/import', async (c) => {
    const { text } = await readText(c, ['application/json']);
    const raw = parseJsonBody(text);
    const many = typeof raw === 'object' && raw !== null && 'files' in raw;
    const body = parseOrThrow(LineageImportBody, many ? raw : { files: [{ path: 'training_info.json', content: raw }] });
    return sendJson(c, await lineage.import(body.files, body.project), 201);
  });

  app.get('/runs/:id/checkpoints', async (c) => sendJson(c, await listCheckpoints(service, c.req.param('id'))));

  return app;
}
