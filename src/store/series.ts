// A run's metric series as the stores keep them: points, ranges, and envelopes for charts.
import type { MetricPoint } from '../domain/runs.ts';

/** A stored point of a series: `i` is its place in the series, in the order it was logged. */
export interface SeriesPoint {
  i: number;
  step: number | null;
  epoch: number | null;
  value: number;
  ts: number;
  /** The event the point came in: points logged together share it. */
  seq: number;
}

/** The part of a series a chart asks for: points `first` to `last` (places in the series). */
export interface SeriesRange {
  series: number;
  name: string;
  first: number;
  last: number;
}

/**
 * Series of metric values: names of a run, points numbered per series, and the summaries that
 * let a chart of any range read O(width) rows (see series-summary.ts). Points are written by
 * the store's appendEvents, in the batch's transaction.
 */
export interface SeriesStore {
  names(run: string): Promise<string[]>;
  /**
   * The points of a series from the first at or after `fromStep` to the last at or before
   * `toStep`, in the order logged; undefined for a series the run does not have or an empty range.
   */
  range(run: string, name: string, fromStep?: number, toStep?: number): Promise<SeriesRange | undefined>;
  /** The first and last points of a range: where a series starts and ends, and whether it counts steps or epochs. */
  ends(range: SeriesRange): Promise<{ first: SeriesPoint; last: SeriesPoint }>;
  /** Every point of a range, a page at a time: each page is a query of its own, so nothing stays open between pages. */
  pages(range: SeriesRange, pageSize: number): AsyncIterable<SeriesPoint[]>;
  /**
   * At most `maxPoints` points that draw the range as it is: each column of the range gives its
   * lowest and highest value and its first non-finite one, so no spike and no NaN is lost; the
   * range's first and last points are kept. `rows` is how many rows that read: what the chart cost.
   */
  envelope(range: SeriesRange, maxPoints: number): Promise<{ points: SeriesPoint[]; rows: number }>;
}

/**
 * Every point of the named series (all of the run's without names), materialised: for small
 * answers only. Read through the series pages, so it is the same on every engine.
 */
export async function seriesPoints(series: SeriesStore, run: string, names?: string[]): Promise<MetricPoint[]> {
  const out: MetricPoint[] = [];
  for (const name of names ?? (await series.names(run))) {
    const range = await series.range(run, name);
    if (!range) continue;
    for await (const page of series.pages(range, 10_000)) for (const p of page) out.push({ name, step: p.step, epoch: p.epoch, value: p.value, ts: p.ts });
  }
  return out;
}
