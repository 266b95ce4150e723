import { bucketSize, coverReads, emptySummary, envelopePoints, envelopeShape, mergeInto } from '../series-summary.ts';
import type { SeriesPoint, SeriesRange, SeriesStore } from '../series.ts';
import { numericArray } from './arrays.ts';
import { readLevels } from './levels.ts';
import type { PgDatabase } from './pool.ts';
import { toPoint, type PointRow } from '../rows.ts';

const POINT = 'i, step, epoch, value, ts, seq';

/** Series of metric values in PostgreSQL: the same tables and answers as the SQLite engine's (see series-summary.ts). */
export class PgSeriesStore implements SeriesStore {
  constructor(private readonly db: PgDatabase) {}

  async names(run: string): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>('SELECT name FROM series WHERE run = $1 ORDER BY name COLLATE "C"', [run]);
    return rows.map((r) => r.name);
  }

  async range(run: string, name: string, fromStep?: number, toStep?: number): Promise<SeriesRange | undefined> {
    const { rows } = await this.db.query<{ id: number; count: number; first: number | null; last: number | null }>(
      `SELECT id, count,
         CASE WHEN $3::float8 IS NULL THEN 0 ELSE (SELECT i FROM samples WHERE series = s.id AND step >= $3::float8 ORDER BY step, i LIMIT 1) END AS first,
         CASE WHEN $4::float8 IS NULL THEN count - 1 ELSE (SELECT i FROM samples WHERE series = s.id AND step <= $4::float8 ORDER BY step DESC, i DESC LIMIT 1) END AS last
       FROM series s WHERE run = $1 AND name = $2`,
      [run, name, fromStep ?? null, toStep ?? null],
    );
    const row = rows[0];
    if (!row || !row.count || row.first === null || row.last === null || row.last < row.first) return undefined;
    return { series: row.id, name, first: row.first, last: row.last };
  }

  async ends(range: SeriesRange): Promise<{ first: SeriesPoint; last: SeriesPoint }> {
    const rows = await this.at(range.series, [range.first, range.last]);
    return { first: rows[0], last: rows[rows.length - 1] };
  }

  async *pages(range: SeriesRange, pageSize: number): AsyncGenerator<SeriesPoint[]> {
    for (let from = range.first; from <= range.last; ) {
      const { rows } = await this.db.query<PointRow>(
        `SELECT ${POINT} FROM samples WHERE series = $1 AND i BETWEEN $2 AND $3 ORDER BY i LIMIT $4`,
        [range.series, from, range.last, pageSize],
      );
      if (!rows.length) return;
      yield rows.map(toPoint);
      from = rows[rows.length - 1].i + 1;
    }
  }

  /** Every summary the columns need is read in one query, the points they name in a second. */
  async envelope(range: SeriesRange, maxPoints: number): Promise<{ points: SeriesPoint[]; rows: number }> {
    const n = range.last - range.first + 1;
    const { ends, columns, level } = envelopeShape(n, maxPoints);
    const read = await readLevels(
      this.db,
      coverReads(range.first, range.last, level).map((r) => ({ ...r, series: range.series })),
    );
    const merged = Array.from({ length: columns }, emptySummary);
    for (const row of read) {
      const start = row.at * bucketSize(row.level);
      mergeInto(merged[Math.floor(((start - range.first) * columns) / n)], row);
    }
    const points = await this.at(range.series, envelopePoints(merged, range.first, range.last, ends));
    return { points, rows: read.length + points.length };
  }

  private async at(series: number, places: number[]): Promise<SeriesPoint[]> {
    const { rows } = await this.db.query<PointRow>(`SELECT ${POINT} FROM samples WHERE series = $1 AND i = ANY($2::bigint[]) ORDER BY i`, [
      series,
      numericArray(places),
    ]);
    return rows.map(toPoint);
  }
}
