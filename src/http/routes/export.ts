import { Hono } from 'hono';
import { z } from 'zod';
import { RunRecord } from '../../domain/run-record.ts';
import { exportRecord, importRecord } from '../../service/run-record.ts';
import type { AnalystService } from '../../service/service.ts';
import { readJson, readQuery } from '../body.ts';
import { sendJson } from '../json.ts';

const ExportQuery = z.object({ format: z.enum(['json']).default('json') });

/** `GET /runs/:id/export`: a run's record to keep or move; `POST /runs/import-record` makes a new run of one. */
export function exportRoutes(service: AnalystService): Hono {
  const app = new Hono();

  app.get('/runs/:id/export', (c) => {
    readQuery(c, ExportQuery);
    const record = exportRecord(service, c.req.param('id'), Date.now());
    c.header('content-disposition', `attachment; filename="${record.run.id}.json"`);
    return sendJson(c, record);
  });

  app.post('/runs/import-record', async (c) => {
    const record = await readJson(c, RunRecord);
    return sendJson(c, importRecord(service, record), 201);
  });

  return app;
}
