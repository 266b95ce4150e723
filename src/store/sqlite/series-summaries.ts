// The statements the SQLite engine reads and writes series summaries with (see ../series-summary.ts).
import type Database from 'better-sqlite3';
import type { Summary } from '../series-summary.ts';

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
