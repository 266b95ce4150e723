// Runs a log fixture through parseLogLine line by line, with one state, as a text importer would.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EventInput, type MetricsInput } from '../../../src/domain/events.ts';
import { stringifyJson } from '../../../src/domain/values.ts';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { FIXTURES } from '../../helpers/datasets.ts';

/** Parsers build events without zod; every event they give must still pass the schema. */
function checked(event: EventInput): EventInput {
  const parsed = EventInput.safeParse(JSON.parse(stringifyJson(event)));
  if (!parsed.success) throw new Error(`event fails the schema: ${stringifyJson(event)}: ${parsed.error.message}`);
  return event;
}

export function parseFixture(name: string): EventInput[] {
  const state = createLineState();
  return readFileSync(path.join(FIXTURES, 'logs', name), 'utf8')
    .split('\n')
    .flatMap((line) => parseLogLine(line, state).events.map(checked));
}

export function metricsOf(events: EventInput[]): MetricsInput[] {
  return events.filter((e): e is MetricsInput => e.type === 'metrics');
}
