// What a report reads of a run: its series, downsampled as the charts read them, and where to put them on x.
import { seriesCanonical } from '../../domain/aliases.ts';
import type { AnalystService } from '../service.ts';

/**
 * Points per series in a figure. Read through the series summaries (SeriesRepo.envelope), which
 * keep each column's lowest, highest and first non-finite value: a run of ten million points
 * costs what its chart on the dashboard costs, and no spike or NaN goes missing.
 */
const MAX_POINTS = 1200;

export interface ReadPoint {
  step: number | null;
  epoch: number | null;
  value: number;
}

export interface ReadSeries {
  name: string;
  canonical: string | null;
  points: ReadPoint[];
}

export type XAxis = 'step' | 'epoch' | 'point';

/** Series by names as sent or canonical names, in the service's order (sorted by name). */
export async function readSeries(service: AnalystService, runId: string, names: string[]): Promise<ReadSeries[]> {
  if (!names.length) return [];
  const out: ReadSeries[] = [];
  for (const s of await service.metrics(runId, { names, maxPoints: MAX_POINTS })) {
    const points: ReadPoint[] = [];
    for await (const page of s.pages) for (const { step, epoch, value } of page) points.push({ step, epoch, value });
    out.push({ name: s.name, canonical: s.canonical, points });
  }
  return out;
}

/** Names the run logged whose canonical name passes `test`. */
export async function namesWhere(service: AnalystService, runId: string, test: (canonical: string | undefined, name: string) => boolean): Promise<string[]> {
  return (await service.store.metricNames(runId)).filter((name) => test(seriesCanonical(name), name));
}

/** Steps when every point has one, else epochs when every point has one, else the order logged. */
export function xAxisOf(series: ReadSeries[]): XAxis {
  const all = series.flatMap((s) => s.points);
  if (all.every((p) => p.step !== null)) return 'step';
  if (all.every((p) => p.epoch !== null)) return 'epoch';
  return 'point';
}

export function toXY(s: ReadSeries, axis: XAxis): Array<[number, number]> {
  return s.points.map((p, i) => [axis === 'step' ? p.step! : axis === 'epoch' ? p.epoch! : i, p.value]);
}
