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
