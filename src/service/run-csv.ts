import { stringify } from 'csv-stringify/sync';
import type { AnalystService } from './service.ts';
import { recordSeries } from './run-record.ts';

export type CsvLevel = 'epoch' | 'step';

interface Row {
  epoch: number | null;
  step: number | null;
  ts: number;
  values: Map<string, number>;
}

// Spelled as pandas and Excel read them back as numbers.
const cell = (v: number | undefined) => (v === undefined ? '' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);

/**
 * A run's metrics as a table: a row per epoch (or per step), a column per series under the name
 * it was sent with, each cell the series' last value at that epoch or step. A point logged
 * without an epoch is in the step table only, one without a step in the epoch table only.
 */
export async function exportCsv(service: AnalystService, ref: string, level: CsvLevel): Promise<string> {
  const run = await service.run(ref);
  const series = await recordSeries(service, run.id);
  const rows = new Map<number, Row>();
  for (const s of series) {
    for (const p of s.points) {
      const key = level === 'epoch' ? p.epoch : p.step;
      if (key === null) continue;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { epoch: p.epoch, step: p.step, ts: p.ts, values: new Map() }));
      row.values.set(s.name, p.value);
      if (p.ts >= row.ts) row.ts = p.ts;
      if (p.step !== null && (row.step === null || p.step > row.step)) row.step = p.step;
      if (p.epoch !== null && (row.epoch === null || p.epoch > row.epoch)) row.epoch = p.epoch;
    }
  }
  const names = series.map((s) => s.name);
  const table = [...rows.keys()].sort((a, b) => a - b).map((k) => {
    const r = rows.get(k)!;
    return [r.epoch, r.step, new Date(r.ts).toISOString(), ...names.map((n) => cell(r.values.get(n)))];
  });
  return stringify([['epoch', 'step', 'time', ...names], ...table]);
}
