// Runs a log fixture through parseLogLine line by line, with one state, as a text importer would.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventInput, MetricsInput } from '../../../src/domain/events.ts';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { FIXTURES } from '../paths.ts';

export function parseFixture(name: string): EventInput[] {
  const state = createLineState();
  return readFileSync(path.join(FIXTURES, 'logs', name), 'utf8')
    .split('\n')
    .flatMap((line) => parseLogLine(line, state).events);
}

export function metricsOf(events: EventInput[]): MetricsInput[] {
  return events.filter((e): e is MetricsInput => e.type === 'metrics');
}
