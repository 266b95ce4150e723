import type Database from 'better-sqlite3';

/** What a batch appends to one series: `id` null for a series this batch begins; `count` its length after. */
export interface SeriesRows {
  id: number | null;
  name: string;
  count: number;
  /** i, step, epoch, value, ts, seq of each point, NaN for NULL. */
  samples: Float64Array;
  /** level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i of each complete bucket, NaN for NULL. */
  buckets: Float64Array;
}

/** A batch's rows, planned from what is committed; `lastSeq` undefined when it stores no event. */
export interface AppendPlan {
  run: string;
  now: number;
  /** seq, ts, type, event_id (or null), body (JSON) of each event, one after the other. */
  events: Array<string | number | null>;
  series: SeriesRows[];
  lastSeq?: number;
  /** Some event came from the trainer (not the service): the run's last sign of life moves too. */
  trainer: boolean;
}

export type AppendStatements = ReturnType<typeof appendStatements>;
export function appendStatements(db: Database.Database): Record<'insertEvent' | 'createSeries' | 'setCount' | 'insertSample' | 'insertBucket' | 'setLastSeqAndEvent' | 'setLastSeq', Database.Statement>;
export function writeSeries(stmts: AppendStatements, run: string, series: SeriesRows[]): void;
export function writeAppend(stmts: AppendStatements, plan: AppendPlan): number[];
