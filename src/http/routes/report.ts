import { Hono } from 'hono';
import { z } from 'zod';
import type { Analyst } from '../../analyst/analyst.ts';
import { buildReport, figurePng, reportFigures, type Narration } from '../../service/report/report.ts';
import type { AnalystService } from '../../service/service.ts';
import { readQuery } from '../body.ts';
import { sendJson } from '../json.ts';

/** Runs compared with the first in one report: more lines than this cannot be told apart. */
const MAX_COMPARED = 9;

const ReportQuery = z.object({
  /** Runs to compare with this one, by id or name, comma-separated. */
  with: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((r) => r.trim()).filter(Boolean) : []))
    .refine((runs) => runs.length <= MAX_COMPARED, `at most ${MAX_COMPARED} runs to compare with`),
  /** A metric (as logged or canonical) drawn on its own with its trend. */
  metric: z.string().min(1).max(250).optional(),
  /** html: the page; json: which figures it has (and their PNG addresses) and which were left out. */
  format: z.enum(['html', 'json']).default('html'),
});

export interface ReportRouteDeps {
  service: AnalystService;
  analyst: Analyst;
}

/**
 * `GET /runs/:id/report`: the run's report as one self-contained HTML page (figures, findings,
 * analysis), compared with the runs in `with`; `GET /runs/:id/report/FIGURE.png`: one figure.
 */
export function reportRoutes({ service, analyst }: ReportRouteDeps): Hono {
  const app = new Hono();
  const narrate = async (run: string): Promise<Narration> => {
    const { text, provider, model } = await analyst.analyze({ run, kind: 'analysis' });
    return { text, provider, model };
  };

  app.get('/runs/:id/report', async (c) => {
    const q = readQuery(c, ReportQuery);
    const refs = [c.req.param('id'), ...q.with];
    if (q.format === 'json') {
      const { figures, leftOut } = await reportFigures(service, refs, { metric: q.metric });
      const id = (await service.run(refs[0])).id;
      const query = new URLSearchParams({ ...(q.with.length ? { with: q.with.join(',') } : {}), ...(q.metric ? { metric: q.metric } : {}) }).toString();
      return sendJson(c, {
        run: id,
        figures: figures.map((f) => ({ id: f.id, title: f.title, caption: f.caption, png: `/runs/${encodeURIComponent(id)}/report/${f.id}.png${query ? `?${query}` : ''}` })),
        left_out: leftOut,
      });
    }
    const report = await buildReport(service, refs, { metric: q.metric, narrate });
    return c.html(report.html);
  });

  app.get('/runs/:id/report/:file{[A-Za-z0-9_]+\\.png}', async (c) => {
    const q = readQuery(c, ReportQuery.omit({ format: true }));
    const set = await reportFigures(service, [c.req.param('id'), ...q.with], { metric: q.metric });
    const png = figurePng(set, c.req.param('file').replace(/\.png$/, ''));
    return c.body(new Uint8Array(png), 200, { 'content-type': 'image/png' });
  });

  return app;
}
