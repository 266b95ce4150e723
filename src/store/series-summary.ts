/**
 * Multi-resolution summaries of one series. Points are numbered in the order they were logged
 * (`i`); a bucket of level L holds the points `k * 8^L` to `(k + 1) * 8^L - 1`. Only complete
 * buckets are stored, so a bucket's count, first and last points are known from its place: a
 * row keeps what is not, the lowest and highest finite values (with where they are) and the
 * non-finite values (how many, and where the first is). Level 1 is built from points, every
 * higher level from the eight buckets under it, so upkeep costs one row per 7 points, and a chart
 * reads at most eight rows per column of its width.
 */
export const FANOUT = 8;
/** 8^8 = 16.8M points in one bucket: beyond any series this store is meant to hold. */
export const LEVELS = 8;

export interface Summary {
  lo: number | null;
  lo_i: number | null;
  hi: number | null;
  hi_i: number | null;
  nonfinite: number;
  nonfinite_i: number | null;
}

export const bucketSize = (level: number) => FANOUT ** level;

/** A single point as a summary: a finite value is its own low and high; NaN (stored as NULL) and ±Infinity are marked. */
export function pointSummary(i: number, value: number | null): Summary {
  if (value !== null && Number.isFinite(value)) return { lo: value, lo_i: i, hi: value, hi_i: i, nonfinite: 0, nonfinite_i: null };
  return { lo: null, lo_i: null, hi: null, hi_i: null, nonfinite: 1, nonfinite_i: i };
}

/** Folds `b`, which comes after `a` in the series, into `a`: ties keep the earlier point. */
export function mergeInto(a: Summary, b: Summary): Summary {
  if (b.lo !== null && (a.lo === null || b.lo < a.lo)) {
    a.lo = b.lo;
    a.lo_i = b.lo_i;
  }
  if (b.hi !== null && (a.hi === null || b.hi > a.hi)) {
    a.hi = b.hi;
    a.hi_i = b.hi_i;
  }
  if (b.nonfinite && !a.nonfinite) a.nonfinite_i = b.nonfinite_i;
  a.nonfinite += b.nonfinite;
  return a;
}

export const emptySummary = (): Summary => ({ lo: null, lo_i: null, hi: null, hi_i: null, nonfinite: 0, nonfinite_i: null });

/**
 * What a SummaryBuilder reads and writes: the SQLite engine's statements (sqlite/series-summaries.ts),
 * or an engine's stand-in that answers from rows fetched ahead and collects the buckets to write
 * in one statement (postgres/series-writer.ts).
 */
export interface SummaryRows {
  pointValues: { all(series: number, a: number, b: number): Array<{ i: number; value: number | null }> };
  buckets: { all(series: number, level: number, k0: number, k1: number): Array<Summary & { bucket: number }> };
  insertBucket: { run(row: Summary & { series: number; level: number; bucket: number }): unknown };
}

/**
 * Builds the summaries of one series as its points are appended (from point `from` on), in
 * memory: each point is folded into the open bucket of level 1, and a bucket that completes is
 * stored and folded into the open bucket of the level above. Only a bucket that began before
 * this append reads anything: its earlier part, once, from the level under it.
 */
export class SummaryBuilder {
  private readonly open: Summary[];
  private next: number;

  /**
   * `carried`: the open buckets of every level as a builder left them at point `from` (see
   * `openBuckets`), so that no bucket begun before this append is read back.
   */
  constructor(
    private readonly stmts: SummaryRows,
    private readonly series: number,
    private readonly from: number,
    private readonly carried?: readonly Summary[],
  ) {
    this.next = from;
    this.open = carried ? carried.map((b) => ({ ...b })) : Array.from({ length: LEVELS }, emptySummary);
  }

  /**
   * What the open bucket of every level holds so far, from its first point: what the builder of
   * the next append can carry on from. A bucket begun before this append that it did not complete
   * lacks its earlier part, read here (only where nothing was carried).
   */
  openBuckets(): readonly Summary[] {
    return this.open.map((b, k) => {
      const level = k + 1;
      const start = Math.floor(this.next / bucketSize(level)) * bucketSize(level);
      return start < this.from && !this.carried ? mergeInto(this.before(level, start), b) : { ...b };
    });
  }

  add(value: number | null): void {
    mergeInto(this.open[0], pointSummary(this.next, value));
    this.next++;
    for (let level = 1; level <= LEVELS && this.next % bucketSize(level) === 0; level++) {
      const size = bucketSize(level);
      const bucket = this.next / size - 1;
      const start = bucket * size;
      const s = start < this.from && !this.carried ? mergeInto(this.before(level, start), this.open[level - 1]) : this.open[level - 1];
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

/** A read of one level: points `from` to `to` at level 0, buckets `from` to `to` of a level above. */
export interface LevelRead {
  level: number;
  from: number;
  to: number;
}

/**
 * The reads a SummaryBuilder makes for an append of `n` points from point `from`: the earlier
 * part of each bucket that began before the append and completes in it. An engine that cannot
 * read while building fetches these ahead, in one query.
 */
export function readsBefore(from: number, n: number): LevelRead[] {
  const reads: LevelRead[] = [];
  for (let level = 1; level <= LEVELS; level++) {
    const size = bucketSize(level);
    const start = Math.floor(from / size) * size;
    if (start === from || start + size > from + n) continue;
    if (level === 1) reads.push({ level: 0, from: start, to: from - 1 });
    else {
      const child = bucketSize(level - 1);
      const last = Math.floor(from / child) - 1;
      if (last >= start / child) reads.push({ level: level - 1, from: start / child, to: last });
    }
  }
  return reads;
}

/**
 * The reads that cover points `a` to `b` in order: whole buckets of `level`, the ragged edges
 * from the levels under it, so a chart reads at most eight rows per column and level.
 */
export function coverReads(a: number, b: number, level: number): LevelRead[] {
  if (level === 0) return [{ level: 0, from: a, to: b }];
  const size = bucketSize(level);
  const k0 = Math.ceil(a / size);
  const k1 = Math.floor((b + 1) / size) - 1;
  if (k0 > k1) return coverReads(a, b, level - 1);
  return [
    ...(a < k0 * size ? coverReads(a, k0 * size - 1, level - 1) : []),
    { level, from: k0, to: k1 },
    ...((k1 + 1) * size <= b ? coverReads((k1 + 1) * size, b, level - 1) : []),
  ];
}

/**
 * How an envelope of at most `maxPoints` points reads a range of `n` points: whether it keeps
 * the range's ends, how many columns it draws (each gives a low, a high and a non-finite point),
 * and the coarsest level that still gives every column rows of its own.
 */
export function envelopeShape(n: number, maxPoints: number): { ends: boolean; columns: number; level: number } {
  const ends = maxPoints >= 5;
  const columns = Math.max(1, Math.floor((maxPoints - (ends ? 2 : 0)) / 3));
  let level = 0;
  while (level < LEVELS && bucketSize(level + 1) * columns <= n) level++;
  return { ends, columns, level };
}

/** The points an envelope shows: the range's ends when kept, and each column's low, high and first non-finite point. */
export function envelopePoints(columns: Summary[], first: number, last: number, ends: boolean): number[] {
  const wanted = new Set<number>();
  if (ends) wanted.add(first).add(last);
  for (const s of columns) for (const i of [s.lo_i, s.hi_i, s.nonfinite_i]) if (i !== null) wanted.add(i);
  return [...wanted];
}
