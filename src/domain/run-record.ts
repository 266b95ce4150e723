import { z } from 'zod';
import { RunAnalysis } from './analysis.ts';
import { CheckpointLoadedEvent, CheckpointSavedEvent, EpochEndedEvent, EpochStartedEvent, ErrorEvent, LogEvent, RunFinishedEvent, RunStartedEvent, Timestamp } from './events.ts';
import { Finding } from './findings.ts';
import { JsonObject } from './json-value.ts';
import { CreateRunInput, RunStatus } from './runs.ts';
import { MetricValue } from './values.ts';

/** Bumped whenever a field changes meaning or goes away; new optional fields keep the version. */
export const RECORD_VERSION = 1;
export const RECORD_FORMAT = 'training-analyst/run-record';

const field = CreateRunInput.shape;

const Seq = z.number().int().positive();

/** One point of a series; `seq` is the event it came in, so points logged together go back together. */
export const RecordPoint = z.object({
  seq: Seq,
  step: z.number().int().nonnegative().nullable(),
  epoch: z.number().nonnegative().nullable(),
  /** Non-finite values are the strings "NaN", "Infinity", "-Infinity". */
  value: MetricValue,
  ts: Timestamp,
});

export const RecordSeries = z.object({
  /** The name as the trainer sent it. */
  name: z.string().min(1),
  /** Its canonical reading (`val_loss` for `eval_loss`), null when it has none. */
  canonical: z.string().nullable(),
  points: z.array(RecordPoint),
});

const stored = { seq: Seq, ts: Timestamp };

/**
 * Every event of the run other than metrics (whose values are in `series`): the start with its
 * configuration, epochs, log lines, checkpoints, errors and the end, each where it was in the run.
 */
export const RecordEvent = z.discriminatedUnion('type', [
  RunStartedEvent.extend(stored),
  EpochStartedEvent.extend(stored),
  EpochEndedEvent.extend(stored),
  CheckpointSavedEvent.extend(stored),
  CheckpointLoadedEvent.extend(stored),
  LogEvent.extend(stored),
  ErrorEvent.extend(stored),
  RunFinishedEvent.extend(stored),
]);
export type RecordEvent = z.output<typeof RecordEvent>;

/**
 * A run's full record (`GET /runs/:id/export?format=json`), read back by `POST /runs/import-record`.
 * `findings` and `analysis` are what the exporting server concluded; an import works them out
 * again from the same events.
 */
export const RunRecord = z.object({
  format: z.literal(RECORD_FORMAT),
  version: z.literal(RECORD_VERSION),
  exported_at: z.number(),
  /** Limited as a new run's fields are: an import creates one from them. */
  run: z.object({
    id: z.string(),
    name: field.name,
    project: field.project.unwrap(),
    status: RunStatus,
    config: JsonObject,
    meta: JsonObject,
    tags: field.tags.unwrap(),
    total_epochs: field.total_epochs.unwrap().nullable(),
    total_steps: field.total_steps.unwrap().nullable(),
    stage: field.stage.unwrap().nullable(),
    dataset: field.dataset.unwrap().nullable(),
    base_model: field.base_model.unwrap().nullable(),
    parent_run: field.parent_run.unwrap().nullable(),
    created_at: z.number(),
    finished_at: z.number().nullable(),
    note: z.string().nullable(),
  }),
  series: z.array(RecordSeries),
  events: z.array(RecordEvent),
  findings: z.array(Finding),
  analysis: RunAnalysis,
});
export type RunRecord = z.output<typeof RunRecord>;
