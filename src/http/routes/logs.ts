// POST /runs/:id/logs: a trainer's ordinary log lines, stored as logs and read for metrics in one batch.
import { Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { AnalystError, parseOrThrow } from '../../domain/errors.ts';
import { ReadTally } from '../../ingest/files/read-tally.ts';
import { parseJsonBody } from '../../ingest/json-body.ts';
import { createLineState, logLineEvents, type LineParseState, type LogLine } from '../../ingest/sources/log-lines.ts';
import type { AnalystService } from '../../service/service.ts';
import { readText } from '../body.ts';
import { sendJson } from '../json.ts';

const Line = z.union([
  z.string().transform((message): LogLine => ({ message })),
  z.object({ message: z.string(), level: z.string().max(32).optional(), ts: z.union([z.number(), z.string().max(64)]).optional() }),
]);
const LinesBody = z.object({ lines: z.array(Line) });

/** Runs whose parse state (current epoch, last table header) is kept between requests. */
const MAX_RUN_STATES = 1000;

export function logRoutes(service: AnalystService, maxLines: number): Hono {
  const app = new Hono();
  // A trainer posts its output in pieces: `Epoch 3/10` in one request and its metrics in the next.
  const states = new LRUCache<string, LineParseState>({ max: MAX_RUN_STATES });

  app.post('/runs/:id/logs', async (c) => {
    service.admit('logs');
    const run = await service.run(c.req.param('id'));
    const { text, type } = await readText(c, ['text/plain', 'application/json']);
    const lines: LogLine[] =
      type === 'text/plain' ? text.split('\n').map((l) => ({ message: l.replace(/\r$/, '') })) : parseOrThrow(LinesBody, parseJsonBody(text)).lines;
    if (lines.length > maxLines) throw new AnalystError('too_large', `at most ${maxLines} lines per request; this one has ${lines.length}`);
    let state = states.get(run.id);
    if (!state) states.set(run.id, (state = createLineState()));
    const tally = new ReadTally();
    const events = logLineEvents(lines, state, [], tally);
    const logs = events.filter((e) => e.type === 'log').length;
    const r = await service.ingestGrouped(run, events, 'logs');
    const read = tally.report('logs');
    await service.noteRead(run.id, 'logs', read);
    return sendJson(c, { accepted: r.accepted, duplicates: r.duplicates, last_seq: r.last_seq, lines: logs, parsed: events.length - logs, read });
  });

  return app;
}
