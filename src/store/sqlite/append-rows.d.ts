import type Database from 'better-sqlite3';

/** One event's row: seq, ts, type, event_id, body (JSON). */
export type PlannedEvent = [seq: number, ts: number, type: string, eventId: string | null, body: string];
/** One point's row: i, step, epoch, value, ts, seq. */
export type PlannedSample = [i: number, step: number | null, epoch: number | null, value: number | null, ts: number, seq: number];
/** One complete bucket's row: level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i. */
export type PlannedBucket = [level: number, bucket: number, lo: number | null, loI: number | null, hi: number | null, hiI: number | null, nonfinite: number, nonfiniteI: number | null];

/** What a batch appends to one series: `id` null for a series this batch begins; `count` its length after. */
export interface SeriesRows {
  id: number | null;
  name: string;
  count: number;
  samples: PlannedSample[];
  buckets: PlannedBucket[];
}

/** A batch's rows, planned from what is committed; `lastSeq` undefined when it stores no event. */
export interface AppendPlan {
  run: string;
  now: number;
  events: PlannedEvent[];
  series: SeriesRows[];
  lastSeq?: number;
  /** Some event came from the trainer (not the service): the run's last sign of life moves too. */
  trainer: boolean;
}

export type AppendStatements = ReturnType<typeof appendStatements>;
export function appendStatements(db: Database.Database): Record<'insertEvent' | 'createSeries' | 'setCount' | 'insertSample' | 'insertBucket' | 'setLastSeqAndEvent' | 'setLastSeq', Database.Statement>;
export function writeSeries(stmts: AppendStatements, run: string, series: SeriesRows[]): void;
export function writeAppend(stmts: AppendStatements, plan: AppendPlan): number[];
