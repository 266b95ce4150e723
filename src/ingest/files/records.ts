// Turns one flat record (a JSONL object, a CSV row, a trainer_state log entry) into a metrics event.
import { MAX_METRICS_PER_EVENT, MAX_NAME_LENGTH, type MetricsInput } from '../../domain/events.ts';
import { parseMetricValue } from '../../domain/values.ts';
import { setOwn } from '../../domain/own.ts';
import type { ReadTally } from './read-tally.ts';

/**
 * Fields that place a record in the run rather than measure it, as trainers and loggers name them.
 * A switch rather than Set lookups: this runs once per field of every JSONL line.
 */
function placeOf(key: string): 'step' | 'epoch' | 'ts' | undefined {
  switch (key) {
    case 'step':
    case 'global_step':
    case 'iteration':
    case 'iter':
    case '_step':
    case 'trainer/global_step':
    // Ray Tune's result rows.
    case 'training_iteration':
      return 'step';
    case 'epoch':
      return 'epoch';
    case 'ts':
    case 'timestamp':
    case 'wall_time':
    case '_timestamp':
      return 'ts';
    default:
      return undefined;
  }
}

/**
 * Spreadsheet-style headers capitalise them (`Epoch`, `Step`): read as the lowercase spelling,
 * lowercased only when the exact spelling is not one (this runs for every field).
 */
function roleOf(key: string): 'step' | 'epoch' | 'ts' | undefined {
  return placeOf(key) ?? (key.charCodeAt(0) < 97 ? placeOf(key.toLowerCase()) : undefined);
}

/** Epoch seconds (Python's time.time()), epoch milliseconds or an ISO string, as milliseconds. */
export function toMillis(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return undefined;
    // Same reading as the Timestamp schema: below 1e11 it cannot be milliseconds of this century.
    return raw < 1e11 ? Math.round(raw * 1000) : Math.round(raw);
  }
  if (typeof raw === 'string') {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return toMillis(n);
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** A step as the event schema wants it: a non-negative integer (CSV cells arrive as "12" or "12.0"). */
export function toStep(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function toEpoch(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A name a metric can have: not empty, and within the schema's length. */
function usableName(name: string): boolean {
  return name !== '' && name.length <= MAX_NAME_LENGTH;
}

/** Adds a metric unless the name is unusable or the event is full; values that are not numbers are skipped. */
function addValue(values: Record<string, number>, count: number, name: string, raw: unknown): number {
  if (count >= MAX_METRICS_PER_EVENT || !usableName(name)) return count;
  const n = parseMetricValue(raw);
  if (n === undefined) return count;
  setOwn(values, name, n);
  return count + 1;
}

/**
 * Nested objects (`{"train": {"loss": 1}}`) become `train/loss`, the way TensorBoard and W&B name
 * such metrics; arrays and text are not metrics and are left out.
 */
function addNested(values: Record<string, number>, count: number, prefix: string, obj: Record<string, unknown>): number {
  for (const key in obj) {
    const raw = obj[key];
    const name = `${prefix}/${key}`;
    if (raw !== null && typeof raw === 'object') {
      if (!Array.isArray(raw)) count = addNested(values, count, name, raw as Record<string, unknown>);
    } else count = addValue(values, count, name, raw);
  }
  return count;
}

export interface RecordOptions {
  /** Extra field names that hold the step (detectron2's `iteration` is already known). */
  stepKeys?: ReadonlySet<string>;
  /** Field names that are bookkeeping, not metrics (HF's `total_flos`, `train_runtime`, ...). */
  ignore?: ReadonlySet<string>;
}

/** One metrics event from a record, or undefined when it carries no metric at all. */
export function recordToMetrics(record: Record<string, unknown>, options: RecordOptions = {}): MetricsInput | undefined {
  const values: Record<string, number> = {};
  let count = 0;
  let step: number | undefined;
  let epoch: number | undefined;
  let ts: number | undefined;
  for (const key in record) {
    const raw = record[key];
    const role = roleOf(key);
    if (role === undefined) {
      if (options.ignore?.has(key)) continue;
      if (options.stepKeys?.has(key)) step ??= toStep(raw);
      else if (typeof raw === 'number' && count < MAX_METRICS_PER_EVENT && usableName(key)) {
        // The common case, kept inline: a plain number under a usable name.
        setOwn(values, key, raw);
        count++;
      } else if (raw !== null && typeof raw === 'object') {
        if (!Array.isArray(raw)) count = addNested(values, count, key, raw as Record<string, unknown>);
      } else count = addValue(values, count, key, raw);
    } else if (role === 'step') step ??= toStep(raw);
    else if (role === 'epoch') epoch = toEpoch(raw);
    else ts = toMillis(raw);
  }
  if (count === 0) return undefined;
  // Every event gets the same shape (absent fields are undefined, which JSON leaves out): one
  // hidden class keeps property reads monomorphic in the context and the rules downstream.
  return { type: 'metrics', step, epoch, ts, values };
}

/**
 * `recordToMetrics` for records whose values are all numbers, given as [name index, value] pairs
 * (the JSONL worker's packed lines): a file has few field names, so each name's role is worked
 * out once instead of on every line, and no intermediate record object is built.
 */
export class NumericRecords {
  private readonly names: string[] = [];
  /** Per name index: where it places the record, 'metric', or null for a name no metric can have. */
  private readonly roles: Array<'step' | 'epoch' | 'ts' | 'metric' | null> = [];
  /** Per name index: the tally's counter of its values, taken when its first value is counted. */
  private readonly counters: Array<{ n: number } | undefined> = [];
  private readonly tally: ReadTally | undefined;

  /** `tally`: counts the values of the events made, as `tally.countValues(event.values)` would. */
  constructor(tally?: ReadTally) {
    this.tally = tally;
  }

  addName(name: string): void {
    this.names.push(name);
    this.roles.push(roleOf(name) ?? (usableName(name) ? 'metric' : null));
    this.counters.push(undefined);
  }

  /** The event of `fields` pairs starting at `pos`, or undefined when none is a metric. */
  event(data: Float64Array, pos: number, fields: number): MetricsInput | undefined {
    const tally = this.tally;
    const values: Record<string, number> = {};
    let count = 0;
    let step: number | undefined;
    let epoch: number | undefined;
    let ts: number | undefined;
    for (let end = pos + 2 * fields; pos < end; pos += 2) {
      const index = data[pos];
      const raw = data[pos + 1];
      const role = this.roles[index];
      if (role === 'metric') {
        if (count < MAX_METRICS_PER_EVENT) {
          setOwn(values, this.names[index], raw);
          count++;
          if (tally !== undefined) (this.counters[index] ??= tally.counter(this.names[index])).n++;
        }
      } else if (role === 'step') step ??= toStep(raw);
      else if (role === 'epoch') epoch = toEpoch(raw);
      else if (role === 'ts') ts = toMillis(raw);
    }
    if (count === 0) return undefined;
    tally?.counted(count);
    return { type: 'metrics', step, epoch, ts, values };
  }
}
