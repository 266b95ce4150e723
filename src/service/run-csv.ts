import { stringify } from 'csv-stringify/sync';
import { LoopBudget } from '../domain/loop-budget.ts';
import type { AnalystService } from './service.ts';
import { seriesPages } from './run-record.ts';

export type CsvLevel = 'epoch' | 'step';

interface Row {
  epoch: number | null;
  step: number | null;
  ts: number;
  values: Map<string, number>;
}

/** Rows per chunk written to the response. */
const CHUNK = 2000;

// Spelled as pandas and Excel read them back as numbers.
const cell = (v: number | undefined) => (v === undefined ? '' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);

/**
 * A run's metrics as a table: a row per epoch (or per step), a column per series under the name
 * it was sent with, each cell the series' last value at that epoch or step. A point logged
 * without an epoch is in the step table only, one without a step in the epoch table only.
 * Written a chunk of rows at a time, with turns of the event loop while the table is gathered.
 */
export async function* exportCsv(service: AnalystService, ref: string, level: CsvLevel): AsyncGenerator<string> {
  const run = await service.run(ref);
  const rows = new Map<number, Row>();
  const names: string[] = [];
  const budget = new LoopBudget();
  for await (const { name, points } of seriesPages(service, run.id)) {
    if (names[names.length - 1] !== name) names.push(name);
    for (const p of points) {
      const key = level === 'epoch' ? p.epoch : p.step;
      if (key === null) continue;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { epoch: p.epoch, step: p.step, ts: p.ts, values: new Map() }));
      row.values.set(name, p.value);
      if (p.ts >= row.ts) row.ts = p.ts;
      if (p.step !== null && (row.step === null || p.step > row.step)) row.step = p.step;
      if (p.epoch !== null && (row.epoch === null || p.epoch > row.epoch)) row.epoch = p.epoch;
    }
  }
  yield stringify([['epoch', 'step', 'time', ...names]]);
  const keys = Float64Array.from(rows.keys()).sort();
  await budget.tick();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const table = Array.from(keys.subarray(i, i + CHUNK), (k) => {
      const r = rows.get(k)!;
      return [r.epoch, r.step, new Date(r.ts).toISOString(), ...names.map((n) => cell(r.values.get(n)))];
    });
    yield stringify(table);
    await budget.tick();
  }
}
