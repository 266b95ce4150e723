import { Hono } from 'hono';
import { z } from 'zod';
import { CompareQuery } from '../../domain/analysis.ts';
import { AnalystError, issuesFromZod, parseOrThrow, type IssueDetail } from '../../domain/errors.ts';
import { EventInput, MetricValues, Timestamp } from '../../domain/events.ts';
import { CreateRunBody, RunChanges, RunListQuery } from '../../domain/runs.ts';
import { parseJsonBody } from '../../ingest/json-body.ts';
import { MAX_IDEMPOTENCY_KEY } from '../../service/run-identity.ts';
import type { AnalystService } from '../../service/service.ts';
import { readJson, readQuery, readText } from '../body.ts';
import { sendJson } from '../json.ts';
import { streamSeries } from '../series-stream.ts';

const Batch = z.union([z.array(z.unknown()), z.object({ events: z.array(z.unknown()) })]);

const EventsQuery = z.object({
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** `type=epoch_ended` or `type=checkpoint_saved,checkpoint_loaded`: only these; without `after_seq`, the latest `limit` of them. */
  type: z
    .string()
    .max(1000)
    .optional()
    .transform((t) => (t ? t.split(',').map((x) => x.trim()).filter(Boolean) : undefined)),
});

const csv = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(',').map((n) => n.trim()).filter(Boolean) : undefined));

const MetricsQuery = z.object({
  names: csv,
  from_step: z.coerce.number().int().min(0).optional(),
  to_step: z.coerce.number().int().min(0).optional(),
  max_points: z.coerce.number().int().min(3).max(100_000).optional(),
});

/** Headers are read through a schema too, so a bad one is named in the 400. */
const CreateHeaders = z.object({ 'Idempotency-Key': z.string().trim().min(1).max(MAX_IDEMPOTENCY_KEY).optional() });

const FindingsQuery = z.object({ status: z.enum(['open', 'resolved']).optional() });

const FLAT_FIELDS = new Set(['step', 'epoch', 'ts', 'event_id']);

/** `{step, epoch, ts, ...metrics}` for curl users: one metrics event. */
const FlatMetrics = z
  .object({
    step: z.number().int().nonnegative().optional(),
    epoch: z.number().nonnegative().optional(),
    ts: Timestamp.optional(),
    event_id: z.string().min(1).max(200).optional(),
  })
  .catchall(z.unknown());

/** Validates every event of a batch and reports all problems at once, each with its index. */
export function parseBatch(body: unknown, maxEvents: number): EventInput[] {
  const batch = parseOrThrow(Batch, body);
  const items = Array.isArray(batch) ? batch : batch.events;
  const prefix = Array.isArray(batch) ? [] : ['events'];
  if (items.length > maxEvents) {
    throw new AnalystError('too_large', `a batch holds at most ${maxEvents} events; this one has ${items.length}`);
  }
  const events: EventInput[] = [];
  const issues: IssueDetail[] = [];
  items.forEach((item, i) => {
    const r = EventInput.safeParse(item);
    if (r.success) events.push(r.data);
    else issues.push(...issuesFromZod(r.error, [...prefix, i]));
  });
  if (issues.length) {
    throw new AnalystError('invalid_body', `invalid events: ${issues[0].path}: ${issues[0].message}`, issues.slice(0, 100));
  }
  return events;
}

export function runRoutes(service: AnalystService, maxEvents: number): Hono {
  const app = new Hono();

  app.post('/runs', async (c) => {
    const headers = parseOrThrow(CreateHeaders, { 'Idempotency-Key': c.req.header('idempotency-key') }, 'header');
    const body = await readJson(c, CreateRunBody);
    const { run, created, resumed } = await service.createRun(body, headers['Idempotency-Key']);
    return sendJson(c, { ...run, created, resumed }, created ? 201 : 200);
  });

  app.patch('/runs/:id', async (c) => {
    const changes = await readJson(c, RunChanges);
    return sendJson(c, await service.changeRun(c.req.param('id'), changes));
  });

  app.delete('/runs/:id', async (c) => sendJson(c, await service.deleteRun(c.req.param('id'))));

  // Every run a reference may mean, newest first, so a person can pick one before acting on it.
  app.get('/runs/:id/candidates', async (c) => {
    const ref = c.req.param('id');
    const candidates = await service.candidates(ref);
    if (!candidates.length) await service.run(ref);
    return sendJson(c, { candidates });
  });

  app.get('/runs', async (c) => {
    const q = readQuery(c, RunListQuery);
    const { runs, total } = await service.runsTable(q);
    return sendJson(c, { runs, total, limit: q.limit, offset: q.offset });
  });

  // Registered before /runs/:id, which would otherwise take "compare" for a run id.
  app.get('/runs/compare', async (c) => {
    const q = readQuery(c, CompareQuery);
    return sendJson(c, await service.compare(q.refs, q.pair));
  });

  app.get('/runs/:id', async (c) => sendJson(c, await service.status(c.req.param('id'))));

  app.get('/runs/:id/analysis', async (c) => sendJson(c, await service.analysis(c.req.param('id'))));

  app.post('/runs/:id/events', async (c) => {
    // Before the lookup and the body: under overload most requests are refused, and cheaply.
    service.admit();
    const run = await service.run(c.req.param('id'));
    const { text } = await readText(c, ['application/json']);
    const events = parseBatch(parseJsonBody(text), maxEvents);
    const r = await service.ingestGrouped(run, events);
    return sendJson(c, { accepted: r.accepted, duplicates: r.duplicates, last_seq: r.last_seq });
  });

  app.post('/runs/:id/metrics', async (c) => {
    service.admit();
    const run = await service.run(c.req.param('id'));
    const { text } = await readText(c, ['application/json']);
    const raw = parseJsonBody(text);
    const { step, epoch, ts, event_id } = parseOrThrow(FlatMetrics, raw);
    // The metrics are read from the body itself: a parsed copy would have lost a metric named `__proto__`.
    const values = parseOrThrow(MetricValues, Object.fromEntries(Object.entries(raw as object).filter(([k]) => !FLAT_FIELDS.has(k))));
    const r = await service.ingestGrouped(run, [{ type: 'metrics', step, epoch, ts, event_id, values }]);
    return sendJson(c, { accepted: r.accepted, duplicates: r.duplicates, last_seq: r.last_seq });
  });

  app.get('/runs/:id/events', async (c) => {
    const q = readQuery(c, EventsQuery);
    const events = await service.events(c.req.param('id'), q.after_seq, q.limit, q.type);
    return sendJson(c, { events, last_seq: events.length ? events[events.length - 1].seq : (q.after_seq ?? 0) });
  });

  app.get('/runs/:id/metrics/names', async (c) => sendJson(c, { series: await service.metricNames(c.req.param('id')) }));

  app.get('/runs/:id/metrics', async (c) => {
    const q = readQuery(c, MetricsQuery);
    const series = await service.metrics(c.req.param('id'), {
      names: q.names,
      fromStep: q.from_step,
      toStep: q.to_step,
      maxPoints: q.max_points,
    });
    return streamSeries(c, series);
  });

  app.get('/runs/:id/findings', async (c) => {
    const q = readQuery(c, FindingsQuery);
    return sendJson(c, { findings: await service.findings(c.req.param('id'), q.status) });
  });

  return app;
}
