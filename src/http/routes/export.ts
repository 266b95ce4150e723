import { Hono } from 'hono';
import { z } from 'zod';
import { RunRecord } from '../../domain/run-record.ts';
import { exportCsv } from '../../service/run-csv.ts';
import { exportRecord, importRecord } from '../../service/run-record.ts';
import { exportTfevents } from '../../service/run-tfevents.ts';
import type { AnalystService } from '../../service/service.ts';
import { readJson, readQuery } from '../body.ts';
import { sendJson } from '../json.ts';
import { sendChunks } from '../chunked.ts';

const ExportQuery = z
  .object({
    format: z.enum(['json', 'csv', 'tfevents']).default('json'),
    /** CSV rows: one per epoch, or one per step. */
    level: z.enum(['epoch', 'step']).optional(),
  })
  .refine((q) => q.level === undefined || q.format === 'csv', { path: ['level'], message: 'level is for format=csv' });

/** `GET /runs/:id/export`: a run's record to keep or move (JSON) its metrics as a table (CSV) or as a TensorBoard event file; `POST /runs/import-record` makes a new run of one. */
export function exportRoutes(service: AnalystService): Hono {
  const app = new Hono();

  app.get('/runs/:id/export', async (c) => {
    const q = readQuery(c, ExportQuery);
    const run = await service.run(c.req.param('id'));
    if (q.format === 'csv') {
      const level = q.level ?? 'epoch';
      const name = `${run.id}${level === 'step' ? '-steps' : ''}.csv`;
      return sendChunks(c, exportCsv(service, run.id, level), { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` });
    }
    if (q.format === 'tfevents') {
      const { chunks, left_out } = await exportTfevents(service, run.id);
      return sendChunks(c, chunks, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="events.out.tfevents.${Math.floor(run.created_at / 1000)}.${run.id}"`,
        // A TensorBoard scalar needs a step: the points without one are counted, not dropped unsaid.
        'x-points-left-out': String(left_out),
      });
    }
    return sendChunks(c, exportRecord(service, run.id, Date.now()), { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${run.id}.json"` });
  });

  app.post('/runs/import-record', async (c) => {
    const record = await readJson(c, RunRecord);
    return sendJson(c, await importRecord(service, record), 201);
  });

  return app;
}
