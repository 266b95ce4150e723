// The series summaries (see ../series-summary.ts) as the SQLite engine reads and builds them.
import type Database from 'better-sqlite3';
import { bucketSize, emptySummary, LEVELS, mergeInto, pointSummary, type Summary } from '../series-summary.ts';

/** The statements summaries are read and written with, prepared once per database handle. */
export function summaryStatements(db: Database.Database) {
  return {
    pointValues: db.prepare<[number, number, number], { i: number; value: number | null }>(
      'SELECT i, value FROM samples WHERE series = ? AND i BETWEEN ? AND ? ORDER BY i',
    ),
    buckets: db.prepare<[number, number, number, number], Summary & { bucket: number }>(
      'SELECT bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i FROM series_buckets WHERE series = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket',
    ),
    insertBucket: db.prepare(
      `INSERT INTO series_buckets (series, level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i)
       VALUES (@series, @level, @bucket, @lo, @lo_i, @hi, @hi_i, @nonfinite, @nonfinite_i)`,
    ),
  };
}
export type SummaryStatements = ReturnType<typeof summaryStatements>;

/**
 * Builds the summaries of one series as its points are appended (from point `from` on), in
 * memory: each point is folded into the open bucket of level 1, and a bucket that completes is
 * stored and folded into the open bucket of the level above. Only a bucket that began before
 * this append reads anything: its earlier part, once, from the level under it.
 */
export class SummaryBuilder {
  private readonly open = Array.from({ length: LEVELS }, emptySummary);
  private next: number;

  constructor(
    private readonly stmts: SummaryStatements,
    private readonly series: number,
    private readonly from: number,
  ) {
    this.next = from;
  }

  add(value: number | null): void {
    mergeInto(this.open[0], pointSummary(this.next, value));
    this.next++;
    for (let level = 1; level <= LEVELS && this.next % bucketSize(level) === 0; level++) {
      const size = bucketSize(level);
      const bucket = this.next / size - 1;
      const start = bucket * size;
      const s = start < this.from ? mergeInto(this.before(level, start), this.open[level - 1]) : this.open[level - 1];
      this.stmts.insertBucket.run({ series: this.series, level, bucket, ...s });
      this.open[level - 1] = emptySummary();
      if (level < LEVELS) mergeInto(this.open[level], s);
    }
  }

  /** What a bucket of `level` starting at `start` held before this append: the level under it, up to where the append began. */
  private before(level: number, start: number): Summary {
    const s = emptySummary();
    if (level === 1) {
      for (const p of this.stmts.pointValues.all(this.series, start, this.from - 1)) mergeInto(s, pointSummary(p.i, p.value));
      return s;
    }
    const child = bucketSize(level - 1);
    const last = Math.floor(this.from / child) - 1;
    if (last >= start / child) for (const b of this.stmts.buckets.all(this.series, level - 1, start / child, last)) mergeInto(s, b);
    return s;
  }
}
