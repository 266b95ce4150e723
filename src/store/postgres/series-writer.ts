import { readsBefore, SummaryBuilder, type Summary, type SummaryRows } from '../series-summary.ts';
import { numericArray } from './arrays.ts';
import { readLevels, type LevelRow } from './levels.ts';
import type { PgDatabase } from './pool.ts';
import type { Params } from './run-list.ts';

/** The points of one series in a batch, column by column, in the order logged. */
interface Pending {
  step: Array<number | null>;
  epoch: Array<number | null>;
  value: number[];
  ts: number[];
  seq: number[];
}

type BucketRow = Summary & { series: number; level: number; bucket: number };

/** A series of the run: its id, metric name and how many points it holds. */
export interface SeriesRow {
  id: number;
  name: string;
  count: number;
}

/**
 * Answers a SummaryBuilder's reads from rows fetched ahead (readsBefore names them all), and keeps
 * the buckets it completes, so the whole batch's summaries are written in one statement.
 */
class FetchedRows implements SummaryRows {
  readonly written: BucketRow[] = [];

  constructor(private readonly rows: LevelRow[]) {}

  pointValues = {
    all: (series: number, a: number, b: number) =>
      this.rows.filter((r) => r.series === series && r.level === 0 && r.at >= a && r.at <= b).map((r) => ({ i: r.at, value: r.value })),
  };

  buckets = {
    all: (series: number, level: number, k0: number, k1: number) =>
      this.rows.filter((r) => r.series === series && r.level === level && r.at >= k0 && r.at <= k1).map((r) => ({ ...r, bucket: r.at })),
  };

  insertBucket = {
    run: (row: BucketRow) => this.written.push({ ...row }),
  };
}

/**
 * The points of one batch of a run, gathered as its events are numbered and written in the
 * batch's transaction: the series looked up (and created) at once, the rows their summaries need
 * read at once, then points, summaries and series lengths in the events' statement.
 */
export class SeriesBatch {
  private readonly pending = new Map<string, Pending>();

  add(name: string, step: number | null, epoch: number | null, value: number, ts: number, seq: number): void {
    let p = this.pending.get(name);
    if (!p) this.pending.set(name, (p = { step: [], epoch: [], value: [], ts: [], seq: [] }));
    p.step.push(step);
    p.epoch.push(epoch);
    p.value.push(value);
    p.ts.push(ts);
    p.seq.push(seq);
  }

  /**
   * Creates the batch's series not among `existing` (the run's series read by the caller) and
   * reads the rows their summaries need, then gives the CTEs that write points, summaries and
   * series lengths, with their parameters in `p`, for the caller's statement; none when the
   * batch holds no points.
   */
  async prepare(db: PgDatabase, run: string, existing: SeriesRow[], p: Params): Promise<string[]> {
    if (!this.pending.size) return [];
    const found = existing.filter((s) => this.pending.has(s.name));
    const have = new Set(found.map((s) => s.name));
    const missing = [...this.pending.keys()].filter((name) => !have.has(name));
    if (missing.length) {
      // Rows made by the INSERT are not seen by the SELECT of the same statement, so each series comes back once.
      const { rows: made } = await db.query<SeriesRow>(
        `WITH made AS (INSERT INTO series (run, name) SELECT $1, unnest($2::text[]) ON CONFLICT (run, name) DO NOTHING RETURNING id, name, count)
         SELECT id, name, count FROM made UNION ALL SELECT id, name, count FROM series WHERE run = $1 AND name = ANY($2::text[])`,
        [run, missing],
      );
      found.push(...made);
    }
    const series = found.map((s) => ({ ...s, points: this.pending.get(s.name)! }));
    const fetched = new FetchedRows(
      await readLevels(
        db,
        series.flatMap((s) => readsBefore(s.count, s.points.value.length).map((r) => ({ ...r, series: s.id }))),
      ),
    );
    const samples = { series: [] as number[], i: [] as number[], step: [] as Array<number | null>, epoch: [] as Array<number | null>, value: [] as number[], ts: [] as number[], seq: [] as number[] };
    for (const s of series) {
      const builder = new SummaryBuilder(fetched, s.id, s.count);
      const pts = s.points;
      for (let k = 0; k < pts.value.length; k++) {
        samples.series.push(s.id);
        samples.i.push(s.count + k);
        samples.step.push(pts.step[k]);
        samples.epoch.push(pts.epoch[k]);
        samples.value.push(pts.value[k]);
        samples.ts.push(pts.ts[k]);
        samples.seq.push(pts.seq[k]);
        builder.add(pts.value[k]);
      }
    }
    const b = fetched.written;
    const col = <K extends keyof BucketRow>(k: K) => p.add(numericArray(b.map((r) => r[k] as number | null)));
    const arr = (values: ReadonlyArray<number | null>) => p.add(numericArray(values));
    return [
      `points AS (
         INSERT INTO samples (series, i, step, epoch, value, ts, seq)
         SELECT * FROM unnest(${arr(samples.series)}::bigint[], ${arr(samples.i)}::bigint[], ${arr(samples.step)}::float8[], ${arr(samples.epoch)}::float8[],
           ${arr(samples.value)}::float8[], ${arr(samples.ts)}::float8[], ${arr(samples.seq)}::bigint[]))`,
      `summaries AS (
         INSERT INTO series_buckets (series, level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i)
         SELECT * FROM unnest(${col('series')}::bigint[], ${col('level')}::int[], ${col('bucket')}::bigint[], ${col('lo')}::float8[], ${col('lo_i')}::bigint[],
           ${col('hi')}::float8[], ${col('hi_i')}::bigint[], ${col('nonfinite')}::bigint[], ${col('nonfinite_i')}::bigint[]))`,
      `lengths AS (
         UPDATE series SET count = n.count FROM unnest(${arr(series.map((s) => s.id))}::bigint[], ${arr(series.map((s) => s.count + s.points.value.length))}::bigint[]) AS n(id, count)
         WHERE series.id = n.id)`,
    ];
  }
}
