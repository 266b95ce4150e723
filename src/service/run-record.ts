import { seriesCanonical } from '../domain/aliases.ts';
import { isServiceEvent, type EventInput } from '../domain/events.ts';
import { RECORD_FORMAT, RECORD_VERSION, RecordEvent, type RunRecord } from '../domain/run-record.ts';
import type { Run } from '../domain/runs.ts';
import type { AnalystService } from './service.ts';
import { LoopBudget } from '../domain/loop-budget.ts';
import { stringifyJson, stringifyOpen } from '../domain/values.ts';

/** Points per page read from the store, and per chunk of an export written to the response. */
const PAGE = 1000;

type RecordPoint = RunRecord['series'][number]['points'][number];

/**
 * Every stored point of a run's series, as logged (names as sent, values not normalised), a page at
 * a time, giving the event loop its turns (a run of millions of points is read for seconds).
 */
export async function* seriesPages(service: AnalystService, run: string): AsyncGenerator<{ name: string; points: RecordPoint[] }> {
  const { series } = service.store;
  const budget = new LoopBudget();
  for (const name of await series.names(run)) {
    const range = await series.range(run, name);
    if (!range) continue;
    for await (const page of series.pages(range, PAGE)) {
      yield { name, points: page.map((p) => ({ seq: p.seq, step: p.step, epoch: p.epoch, value: p.value, ts: p.ts })) };
      await budget.tick();
    }
  }
}

/** The run's own events besides metrics, without the store's bookkeeping (global cursor, idempotency keys). */
async function* recordEvents(service: AnalystService, run: string): AsyncGenerator<RecordEvent> {
  const budget = new LoopBudget();
  for await (const e of service.store.replay(run)) {
    await budget.tick();
    // Metrics are in the series; finding changes and control traffic are the server's, not the run's.
    if (e.type === 'metrics' || e.type === 'control_ack' || isServiceEvent(e)) continue;
    const { run: _run, gid: _gid, event_id: _id, client_seq: _cs, ...event } = e as typeof e & { client_seq?: unknown };
    yield event as RecordEvent;
  }
}

/**
 * The full record of a run (see RunRecord) as JSON text, written a page of points at a time: the
 * text of a run of millions of points is never held whole, and other requests are served while
 * it is written. Its members come in RunRecord's order, as one JSON.stringify of it would write them.
 */
export async function* exportRecord(service: AnalystService, ref: string, now: number): AsyncGenerator<string> {
  const run = await service.run(ref);
  const { id, name, project, status, config, meta, tags, total_epochs, total_steps, stage, dataset, base_model, parent_run, created_at, finished_at, note } = run;
  const head: Pick<RunRecord, 'format' | 'version' | 'exported_at' | 'run'> = {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    exported_at: now,
    run: { id, name, project, status, config: config as RunRecord['run']['config'], meta: meta as RunRecord['run']['meta'], tags, total_epochs, total_steps, stage, dataset, base_model, parent_run, created_at, finished_at, note },
  };
  yield `${stringifyOpen(head)},"series":[`;
  let current: string | null = null;
  for await (const { name: series, points } of seriesPages(service, run.id)) {
    const text = points.map(stringifyJson).join(',');
    if (series === current) yield `,${text}`;
    else {
      yield `${current === null ? '' : ']},'}${stringifyOpen({ name: series, canonical: seriesCanonical(series) ?? null })},"points":[${text}`;
      current = series;
    }
  }
  yield `${current === null ? '' : ']}'}],"events":[`;
  let chunk: string[] = [];
  let first = true;
  for await (const event of recordEvents(service, run.id)) {
    chunk.push(stringifyJson(event));
    if (chunk.length < PAGE) continue;
    yield `${first ? '' : ','}${chunk.join(',')}`;
    first = false;
    chunk = [];
  }
  if (chunk.length) yield `${first ? '' : ','}${chunk.join(',')}`;
  yield `],"findings":${stringifyJson(await service.findings(run.id))},"analysis":${stringifyJson(await service.analysis(run.id))}}`;
}

/** The record's events in their order again: points that came in one event become that metrics event. */
function eventsOf(record: RunRecord): EventInput[] {
  const bySeq = new Map<number, EventInput>();
  for (const { seq, ...e } of record.events) bySeq.set(seq, e as EventInput);
  for (const s of record.series) {
    for (const p of s.points) {
      let e = bySeq.get(p.seq);
      if (!e) {
        e = { type: 'metrics', ts: p.ts, values: {}, ...(p.step === null ? {} : { step: p.step }), ...(p.epoch === null ? {} : { epoch: p.epoch }) };
        bySeq.set(p.seq, e);
      }
      if (e.type === 'metrics') e.values[s.name] = p.value;
    }
  }
  return [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

export interface ImportedRecord {
  run: Run;
  imported_from: string;
  events: number;
  points: number;
}

/**
 * A new run from a record: its name, project, configuration and tags, and its events in their
 * order with their times, so the diagnoser reaches its findings and analysis again. One
 * transaction: a record that fails part way leaves no run behind.
 */
export function importRecord(service: AnalystService, record: RunRecord): Promise<ImportedRecord> {
  const { name, project, config, meta, tags, total_epochs, total_steps, stage, dataset, base_model, parent_run } = record.run;
  const events = eventsOf(record);
  return service.transaction(async () => {
    const { run } = await service.createRun({
      name,
      project,
      config,
      meta,
      tags,
      ...(total_epochs === null ? {} : { total_epochs }),
      ...(total_steps === null ? {} : { total_steps }),
      ...(stage === null ? {} : { stage }),
      ...(dataset === null ? {} : { dataset }),
      ...(base_model === null ? {} : { base_model }),
      ...(parent_run === null ? {} : { parent_run }),
    });
    if (events.length) await service.ingest(run.id, events, 'import');
    return {
      run: await service.run(run.id),
      imported_from: record.run.id,
      events: events.length,
      points: record.series.reduce((n, s) => n + s.points.length, 0),
    };
  });
}
