import { bucketSize, coverReads, emptySummary, envelopePoints, envelopeShape, mergeInto, pointSummary, SummaryBuilder, type Summary, type SummaryRows } from '../series-summary.ts';
import { summaryStatements } from './series-summaries.ts';
import { writeSeries, type AppendStatements, type SeriesRows } from './append-rows.js';
import type { SeriesPoint, SeriesRange, SeriesStore } from '../series.ts';
import type { SqliteConnection } from './connection.ts';
import { toPoint, type PointRow } from '../rows.ts';

/**
 * Series whose open summary buckets are kept between appends: a bucket begun in one batch and
 * completed in the next is not read back (on the service's thread, after the writer thread's
 * commits, a read goes to the write-ahead log rather than to pages it holds).
 */
const CARRIED_SERIES = 20_000;

/** Series of metric values in SQLite (see series-summary.ts for the summaries). */
export class SeriesRepo implements SeriesStore {
  private readonly stmts;
  private readonly summaries;
  /**
   * By series id: its open buckets once it held `count` points, as the last plan left them. Used
   * only when the series holds that many points: a plan rolled back left it shorter, and every
   * plan replaces its series' entry, so an entry never describes points other than the stored ones.
   */
  private readonly carried = new Map<number, { count: number; open: readonly Summary[] }>();

  /** `rows`: the statements planned rows are written with (see append-rows.js). */
  constructor(
    { db }: SqliteConnection,
    private readonly rows: AppendStatements,
  ) {
    this.summaries = summaryStatements(db);
    this.stmts = {
      names: db.prepare<[string], { name: string }>('SELECT name FROM series WHERE run = ? ORDER BY name'),
      byName: db.prepare<[string, string], { id: number; count: number }>('SELECT id, count FROM series WHERE run = ? AND name = ?'),
      firstFrom: db.prepare<[number, number], { i: number }>('SELECT i FROM samples WHERE series = ? AND step >= ? ORDER BY step, i LIMIT 1'),
      lastTo: db.prepare<[number, number], { i: number }>('SELECT i FROM samples WHERE series = ? AND step <= ? ORDER BY step DESC, i DESC LIMIT 1'),
      page: db.prepare<[number, number, number, number], PointRow>(
        'SELECT i, step, epoch, value, ts, seq FROM samples WHERE series = ? AND i BETWEEN ? AND ? ORDER BY i LIMIT ?',
      ),
      at: db.prepare<[number, string], PointRow>(
        'SELECT i, step, epoch, value, ts, seq FROM samples WHERE series = ? AND i IN (SELECT value FROM json_each(?)) ORDER BY i',
      ),
    };
  }

  async names(run: string): Promise<string[]> {
    return this.stmts.names.all(run).map((r) => r.name);
  }

  /**
   * The rows one batch of a run adds to its series, planned from what is stored and written by
   * nothing here: each series is looked up once, its points numbered on and summarised as they
   * come (see SummaryBuilder, whose reads of a bucket begun earlier find only stored rows).
   */
  plan(run: string) {
    const open = new Map<string, { id: number | null; count: number; samples: number[]; buckets: number[]; summaries: SummaryBuilder }>();
    const { byName } = this.stmts;
    return {
      add: (name: string, step: number | null, epoch: number | null, value: number, ts: number, seq: number) => {
        let s = open.get(name);
        if (!s) {
          const row = byName.get(run, name);
          const id = row?.id ?? null;
          const count = row?.count ?? 0;
          const buckets: number[] = [];
          const carried = id === null ? undefined : this.carried.get(id);
          // A series this batch begins has no bucket begun before it: nothing is read under its (unknown) id.
          const summaries = new SummaryBuilder(this.bucketsInto(buckets), id ?? -1, count, carried?.count === count ? carried.open : undefined);
          s = { id, count, samples: [], buckets, summaries };
          open.set(name, s);
        }
        s.samples.push(s.count++, step ?? NaN, epoch ?? NaN, value ?? NaN, ts, seq);
        s.summaries.add(value);
      },
      rows: (): SeriesRows[] =>
        [...open.entries()].map(([name, s]) => {
          if (s.id !== null) this.carry(s.id, s.count, s.summaries.openBuckets());
          return { id: s.id, name, count: s.count, samples: Float64Array.from(s.samples), buckets: Float64Array.from(s.buckets) };
        }),
    };
  }

  /** The same, written at once in the caller's transaction: `finish` writes the rows. */
  writer(run: string) {
    const plan = this.plan(run);
    return { add: plan.add, finish: () => writeSeries(this.rows, run, plan.rows()) };
  }

  private carry(id: number, count: number, open: readonly Summary[]): void {
    // Oldest out first: a Map iterates in insertion order, and a series carried again is reinserted.
    this.carried.delete(id);
    this.carried.set(id, { count, open });
    if (this.carried.size > CARRIED_SERIES) this.carried.delete(this.carried.keys().next().value!);
  }

  /** The summaries' reads, with the buckets they complete collected flat (see SeriesRows) instead of written. */
  private bucketsInto(buckets: number[]): SummaryRows {
    return {
      pointValues: this.summaries.pointValues,
      buckets: this.summaries.buckets,
      insertBucket: { run: (b) => buckets.push(b.level, b.bucket, b.lo ?? NaN, b.lo_i ?? NaN, b.hi ?? NaN, b.hi_i ?? NaN, b.nonfinite, b.nonfinite_i ?? NaN) },
    };
  }

  async range(run: string, name: string, fromStep?: number, toStep?: number): Promise<SeriesRange | undefined> {
    const row = this.stmts.byName.get(run, name);
    if (!row || !row.count) return undefined;
    const first = fromStep === undefined ? 0 : this.stmts.firstFrom.get(row.id, fromStep)?.i;
    const last = toStep === undefined ? row.count - 1 : this.stmts.lastTo.get(row.id, toStep)?.i;
    if (first === undefined || last === undefined || last < first) return undefined;
    return { series: row.id, name, first, last };
  }

  async ends(range: SeriesRange): Promise<{ first: SeriesPoint; last: SeriesPoint }> {
    const rows = this.stmts.at.all(range.series, JSON.stringify([range.first, range.last])).map(toPoint);
    return { first: rows[0], last: rows[rows.length - 1] };
  }

  async *pages(range: SeriesRange, pageSize: number): AsyncGenerator<SeriesPoint[]> {
    for (let from = range.first; from <= range.last; ) {
      const rows = this.stmts.page.all(range.series, from, range.last, pageSize);
      if (!rows.length) return;
      yield rows.map(toPoint);
      from = rows[rows.length - 1].i + 1;
    }
  }

  /** The columns are read from the coarsest summaries that still give every column its own rows, finer ones only at the edges. */
  async envelope(range: SeriesRange, maxPoints: number): Promise<{ points: SeriesPoint[]; rows: number }> {
    const n = range.last - range.first + 1;
    const { ends, columns, level } = envelopeShape(n, maxPoints);
    const merged = Array.from({ length: columns }, emptySummary);
    const column = (start: number) => merged[Math.floor(((start - range.first) * columns) / n)];
    let rows = 0;
    for (const read of coverReads(range.first, range.last, level)) {
      if (read.level === 0) {
        for (const p of this.summaries.pointValues.iterate(range.series, read.from, read.to)) {
          mergeInto(column(p.i), pointSummary(p.i, p.value));
          rows++;
        }
      } else {
        for (const s of this.summaries.buckets.iterate(range.series, read.level, read.from, read.to)) {
          mergeInto(column(s.bucket * bucketSize(read.level)), s);
          rows++;
        }
      }
    }
    const points = this.stmts.at.all(range.series, JSON.stringify(envelopePoints(merged, range.first, range.last, ends)));
    return { points: points.map(toPoint), rows: rows + points.length };
  }
}
