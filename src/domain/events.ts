import { z } from 'zod';
import { describeValue, JsonObject } from './json-value.ts';
import { MetricValue, readValue } from './values.ts';
import { setOwn } from './own.ts';
import { RunMeta } from './run-meta.ts';

/**
 * Everything about a run is an append-only sequence of events. These schemas are the one source
 * of event types: every door (REST, WebSocket, upstream SSE, log lines, files) validates with them.
 */

export const MAX_METRICS_PER_EVENT = 1_000;
export const MAX_NAME_LENGTH = 250;

/**
 * Times a trainer can have meant: from 2000 to a day ahead of this clock (trainers' clocks drift).
 * Outside that, a time is a mistake (a year 1900 default, seconds since the start read as an
 * epoch time) that would make elapsed times and ETAs nonsense, so it is refused with the reason.
 */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const AHEAD_MS = 24 * 3600 * 1000;

/** Accepts epoch milliseconds, epoch seconds (as Python's time.time() gives) or an ISO 8601 string. */
export const Timestamp = z.union([z.number(), z.string().max(64)]).transform((raw, ctx) => {
  let ms: number;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) {
      ctx.addIssue({ code: 'custom', message: 'timestamp must be a non-negative finite number' });
      return z.NEVER;
    }
    // Anything below 1e11 cannot be milliseconds of this century: read it as seconds.
    ms = raw < 1e11 ? Math.round(raw * 1000) : Math.round(raw);
  } else {
    ms = Date.parse(raw);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `not a timestamp: ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
  }
  if (ms < EARLIEST_MS || ms > Date.now() + AHEAD_MS) {
    const when = Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : String(raw);
    ctx.addIssue({ code: 'custom', message: `implausible time ${when}: times must fall between 2000-01-01 and a day from now (epoch seconds, milliseconds or ISO 8601)` });
    return z.NEVER;
  }
  return ms;
});

const Step = z.number().int().nonnegative();
const Epoch = z.number().nonnegative().finite();
const Name = z.string().min(1).max(MAX_NAME_LENGTH);

const common = {
  ts: Timestamp.optional(),
  /** Client idempotency key: a retried batch carrying the same keys is stored once. */
  event_id: z.string().min(1).max(200).optional(),
  client_seq: z.union([z.number().int().nonnegative(), z.string().min(1).max(200)]).optional(),
};

/**
 * Metric name → value, checked in one pass: this runs for every event of every batch, and a
 * record schema with a schema per key and per value costs several times more (npm run bench).
 */
export const MetricValues = z.any().transform((raw, ctx) => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: 'expected an object of metric name → number' });
    return z.NEVER;
  }
  const out: Record<string, number> = {};
  let count = 0;
  for (const name in raw) {
    count++;
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
      ctx.addIssue({ code: 'custom', path: [name], message: `metric names are 1 to ${MAX_NAME_LENGTH} characters` });
      continue;
    }
    const v = (raw as Record<string, unknown>)[name];
    const n = readValue(v);
    if (n === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `not a number: ${describeValue(v)}` });
    else setOwn(out, name, n);
  }
  if (count === 0) ctx.addIssue({ code: 'custom', message: 'at least one metric is needed' });
  if (count > MAX_METRICS_PER_EVENT) ctx.addIssue({ code: 'custom', message: `at most ${MAX_METRICS_PER_EVENT} metrics per event` });
  return out;
}) as unknown as z.ZodType<Record<string, number>, Record<string, number | string | boolean | null>>;

export const RunStartedEvent = z.object({
  ...common,
  type: z.literal('run_started'),
  name: Name.optional(),
  project: Name.optional(),
  config: JsonObject.optional(),
  total_epochs: z.number().int().positive().optional(),
  total_steps: z.number().int().positive().optional(),
  stage: z.string().max(MAX_NAME_LENGTH).optional(),
  dataset: z.string().max(MAX_NAME_LENGTH).optional(),
  base_model: z.string().max(1000).optional(),
  parent_run: z.string().max(MAX_NAME_LENGTH).optional(),
  /** Reproducibility facts: git commit, Python / framework / CUDA versions, device, parameter count (see RunMeta). */
  meta: RunMeta.optional(),
});

export const MetricsEvent = z.object({
  ...common,
  type: z.literal('metrics'),
  step: Step.optional(),
  epoch: Epoch.optional(),
  values: MetricValues,
});

export const EpochStartedEvent = z.object({
  ...common,
  type: z.literal('epoch_started'),
  epoch: Epoch,
  total_epochs: z.number().int().positive().optional(),
});

export const EpochEndedEvent = z.object({
  ...common,
  type: z.literal('epoch_ended'),
  epoch: Epoch,
  total_epochs: z.number().int().positive().optional(),
});

const checkpoint = {
  ...common,
  path: z.string().min(1).max(4000),
  step: Step.optional(),
  epoch: Epoch.optional(),
  metric: Name.optional(),
  value: MetricValue.optional(),
};

export const CheckpointSavedEvent = z.object({ ...checkpoint, type: z.literal('checkpoint_saved') });
export const CheckpointLoadedEvent = z.object({ ...checkpoint, type: z.literal('checkpoint_loaded') });

export const LogLevel = z.enum(['debug', 'info', 'warning', 'error', 'critical']);

export const LogEvent = z.object({
  ...common,
  type: z.literal('log'),
  level: z
    .string()
    .transform((l) => l.toLowerCase())
    .pipe(z.enum(['debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal']))
    .transform((l) => (l === 'warn' ? 'warning' : l === 'fatal' ? 'critical' : l) as z.infer<typeof LogLevel>)
    .default('info'),
  message: z.string().max(64_000),
  step: Step.optional(),
  epoch: Epoch.optional(),
  /** Seed 3's stages: epoch_start, training, validation, epoch_end, completed. */
  stage: z.string().max(64).optional(),
});

export const ErrorEvent = z.object({
  ...common,
  type: z.literal('error'),
  message: z.string().max(64_000),
  traceback: z.string().max(256_000).optional(),
});

/**
 * A run fed live is `running` (or `paused`) until it says it finished; silent for long it becomes
 * `stalled`, then `lost`, and goes back to `running` when data arrives again.
 */
export const RunStatus = z.enum(['running', 'paused', 'stalled', 'lost', 'completed', 'failed', 'stopped']);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunFinishedEvent = z.object({
  ...common,
  type: z.literal('run_finished'),
  status: z.enum(['completed', 'failed', 'stopped']).default('completed'),
  /** Why it failed, in a few words (`CUDA out of memory`, `train_loss is NaN`). */
  reason: z.string().max(1000).optional(),
  /**
   * False when the run was read from a file without timestamps: its events carry the time they
   * were read, so no start, end or elapsed time is derived from them.
   */
  timed: z.boolean().optional(),
});

/** Every event a trainer may send. */
export const EventInput = z.discriminatedUnion('type', [
  RunStartedEvent,
  MetricsEvent,
  EpochStartedEvent,
  EpochEndedEvent,
  CheckpointSavedEvent,
  CheckpointLoadedEvent,
  LogEvent,
  ErrorEvent,
  RunFinishedEvent,
]);
export type EventInput = z.output<typeof EventInput>;
export type EventType = EventInput['type'];
export type MetricsInput = z.output<typeof MetricsEvent>;

/**
 * Events the service writes itself into a run's log, so that streams replay them in order with
 * everything else: finding changes and training-control traffic.
 */
export type ServiceEventBody =
  | { type: 'finding_raised' | 'finding_updated' | 'finding_resolved'; finding: Record<string, unknown> }
  | { type: 'control'; control: Record<string, unknown> }
  | { type: 'control_ack'; control: Record<string, unknown> };

export type EventBody = EventInput | ServiceEventBody;

const SERVICE_EVENT_TYPES: ReadonlySet<string> = new Set(['finding_raised', 'finding_updated', 'finding_resolved', 'control']);

/** Events the service writes on its own (a trainer's control_ack is the trainer speaking). */
export function isServiceEvent(e: { type: string }): boolean {
  return SERVICE_EVENT_TYPES.has(e.type);
}

/** An event as stored: numbered per run (`seq`) and globally (`gid`, the cursor of `/stream`). */
export type StoredEvent = EventBody & {
  run: string;
  seq: number;
  gid: number;
  ts: number;
  event_id?: string;
};
