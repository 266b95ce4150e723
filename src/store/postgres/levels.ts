import { pointSummary, type LevelRead, type Summary } from '../series-summary.ts';
import { numericArray } from './arrays.ts';
import type { PgDatabase } from './pool.ts';

/** A row read for a LevelRead: a point (level 0) or a stored bucket, as a summary starting at `at`'s place. */
export interface LevelRow extends Summary {
  /** Which read it answers, in the order the reads were given. */
  read: number;
  series: number;
  level: number;
  /** The point's place at level 0, the bucket's number above. */
  at: number;
  /** The point's value at level 0 (NULL for NaN, as stored); null for a bucket. */
  value: number | null;
}

/**
 * Reads many LevelReads, of one series or several, in one query: points from samples, buckets
 * from series_buckets, in the order of the reads and then of their places.
 */
export async function readLevels(db: PgDatabase, reads: ReadonlyArray<LevelRead & { series: number }>): Promise<LevelRow[]> {
  if (!reads.length) return [];
  const { rows } = await db.query<LevelRow>(
    `WITH r AS (SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[]) AS r(read, series, level, lo_at, hi_at))
     SELECT r.read, r.series, 0 AS level, x.i AS at, x.value, NULL::float8 AS lo, NULL::bigint AS lo_i, NULL::float8 AS hi,
            NULL::bigint AS hi_i, NULL::bigint AS nonfinite, NULL::bigint AS nonfinite_i
       FROM r JOIN samples x ON r.level = 0 AND x.series = r.series AND x.i BETWEEN r.lo_at AND r.hi_at
     UNION ALL
     SELECT r.read, r.series, r.level, b.bucket, NULL, b.lo, b.lo_i, b.hi, b.hi_i, b.nonfinite, b.nonfinite_i
       FROM r JOIN series_buckets b ON r.level > 0 AND b.series = r.series AND b.level = r.level AND b.bucket BETWEEN r.lo_at AND r.hi_at
     ORDER BY read, at`,
    [
      numericArray(reads.map((_, k) => k)),
      numericArray(reads.map((r) => r.series)),
      numericArray(reads.map((r) => r.level)),
      numericArray(reads.map((r) => r.from)),
      numericArray(reads.map((r) => r.to)),
    ],
  );
  for (const row of rows) if (row.level === 0) Object.assign(row, pointSummary(row.at, row.value));
  return rows;
}
