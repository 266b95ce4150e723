import { z } from 'zod';
import type { RunStatus } from './events.ts';
import { MetricValue } from './values.ts';

/**
 * Request shapes of MLflow's REST API 2.0 (https://mlflow.org/docs/latest/rest-api.html), as the
 * Python and JavaScript clients send them. Numbers may come as strings (protobuf JSON int64).
 */

/** MLflow's per-request limits for log-batch. */
export const MLFLOW_LIMITS = { metrics: 1000, params: 100, tags: 100, bytes: 1024 * 1024 } as const;

// Checked after the string is read: "1e300" steps or 20-digit strings would otherwise become events no other door accepts.
const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number).pipe(z.number().int());
/** Steps and times of metrics become events, whose schema has no negative step or time. */
const nonNegativeInt64 = int64.pipe(z.number().nonnegative());
const RunId = z.string().min(1).max(256);

export const KeyValue = z.object({ key: z.string().min(1).max(250), value: z.string().max(8000) });

export const MlflowMetric = z.object({
  key: z.string().min(1).max(250),
  value: MetricValue,
  timestamp: nonNegativeInt64.optional(),
  step: nonNegativeInt64.optional(),
});

export const CreateExperiment = z.object({
  name: z.string().min(1).max(500),
  artifact_location: z.string().max(4000).optional(),
  tags: z.array(KeyValue).optional(),
});

export const CreateRun = z.object({
  experiment_id: z.union([z.string(), z.number()]).transform(String).optional(),
  user_id: z.string().optional(),
  run_name: z.string().max(250).optional(),
  start_time: int64.optional(),
  tags: z.array(KeyValue).max(MLFLOW_LIMITS.tags).optional(),
});

/** MLflow accepts `run_id` or the older `run_uuid`; the clients send both. */
const runRef = { run_id: RunId.optional(), run_uuid: RunId.optional() };

export const UpdateRun = z.object({
  ...runRef,
  status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']).optional(),
  end_time: int64.optional(),
  run_name: z.string().max(250).optional(),
});

/** runs/delete and runs/restore send `run_id` only. */
export const RunRef = z.object(runRef);

const ExperimentId = z.union([z.string().min(1).max(32), z.number()]).transform(String);

export const ExperimentRef = z.object({ experiment_id: ExperimentId });
export const UpdateExperiment = z.object({ experiment_id: ExperimentId, new_name: z.string().min(1).max(500) });
export const SetExperimentTag = z.object({ experiment_id: ExperimentId, ...KeyValue.shape });

/**
 * get-metric-history-bulk-interval: one metric of up to 100 runs, sampled to at most
 * `max_results` steps per run (the 3.x UI's and client's sampled history).
 */
export const BulkIntervalQuery = z
  .object({
    run_ids: z.array(RunId).min(1, 'run_ids is required').max(100, 'at most 100 run_ids'),
    metric_key: z.string().min(1).max(250),
    start_step: z.coerce.number().int().optional(),
    end_step: z.coerce.number().int().optional(),
    max_results: z.coerce.number().int().min(1).max(2500).default(100),
  })
  .refine((q) => q.start_step === undefined || q.end_step === undefined || q.start_step <= q.end_step, { message: 'start_step is after end_step', path: ['start_step'] });

/** runs/log-inputs: datasets a run read, as `mlflow.log_input` describes them. */
export const DatasetInput = z.object({
  tags: z.array(KeyValue).max(MLFLOW_LIMITS.tags).default([]),
  dataset: z.object({
    name: z.string().min(1).max(500),
    digest: z.string().min(1).max(36),
    source_type: z.string().max(36),
    source: z.string().max(65_535),
    schema: z.string().max(1_048_576).optional(),
    profile: z.string().max(16_384).optional(),
  }),
});
export type DatasetInput = z.output<typeof DatasetInput>;

export const LogInputs = z.object({
  ...runRef,
  datasets: z.array(DatasetInput).max(1000).default([]),
  models: z.array(z.object({ model_id: z.string().min(1).max(64) })).max(1000).optional(),
});

/** runs/outputs (MLflow 3): the models a run produced. */
export const LogOutputs = z.object({
  ...runRef,
  models: z.array(z.object({ model_id: z.string().min(1).max(64), step: int64.default(0) })).max(1000),
});

/** runs/log-model (MLflow 2): an `MLmodel` description, as JSON text. */
export const LogModel = z.object({ ...runRef, model_json: z.string().min(2).max(1_048_576) });

export const CreateLoggedModel = z.object({
  experiment_id: ExperimentId,
  name: z.string().min(1).max(500).optional(),
  source_run_id: RunId.optional(),
  model_type: z.string().max(500).optional(),
  tags: z.array(KeyValue).max(MLFLOW_LIMITS.tags).default([]),
  params: z.array(KeyValue).max(MLFLOW_LIMITS.params).default([]),
});

export const FinalizeLoggedModel = z.object({
  model_id: z.string().optional(),
  status: z.enum(['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED']),
});

export const SearchLoggedModels = z.object({
  experiment_ids: z.array(ExperimentId).default([]),
  filter: z.string().max(10_000).optional(),
  order_by: z.array(z.object({ field_name: z.string().max(500), ascending: z.boolean().default(true) }).passthrough()).max(20).optional(),
  max_results: z.coerce.number().int().min(1).max(50_000).default(100),
  page_token: z.string().max(1000).optional(),
  datasets: z.unknown().optional(),
});

export const LogMetric = z.object({ ...runRef, ...MlflowMetric.shape });
export const LogParam = z.object({ ...runRef, ...KeyValue.shape });
export const SetTag = z.object({ ...runRef, ...KeyValue.shape });

export const LogBatch = z.object({
  ...runRef,
  metrics: z.array(MlflowMetric).max(MLFLOW_LIMITS.metrics, `at most ${MLFLOW_LIMITS.metrics} metrics per batch`).default([]),
  params: z.array(KeyValue).max(MLFLOW_LIMITS.params, `at most ${MLFLOW_LIMITS.params} params per batch`).default([]),
  tags: z.array(KeyValue).max(MLFLOW_LIMITS.tags, `at most ${MLFLOW_LIMITS.tags} tags per batch`).default([]),
});

/** MLflow's ViewType, by name or by its protobuf number. */
const ViewType = z
  .union([z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']), z.coerce.number().int().min(1).max(3)])
  .transform((v) => (typeof v === 'number' ? (['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const)[v - 1]! : v))
  .default('ACTIVE_ONLY');
export type ViewType = z.output<typeof ViewType>;

const OrderBy = z.union([z.string(), z.array(z.string().max(500)).max(20)]).transform((v) => (typeof v === 'string' ? [v] : v)).optional();
const PageToken = z.string().max(1000).optional();

/** experiments/search: MLflow pages its answer; `page_token` is where the next page starts. */
export const SearchExperiments = z.object({
  max_results: z.coerce.number().int().min(1).max(50_000).default(1000),
  page_token: PageToken,
  filter: z.string().max(10_000).optional(),
  view_type: ViewType,
  order_by: OrderBy,
});

export const SearchRuns = z.object({
  experiment_ids: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
  max_results: z.coerce.number().int().min(1).max(50_000).default(1000),
  filter: z.string().max(10_000).optional(),
  run_view_type: ViewType,
  order_by: OrderBy,
  page_token: PageToken,
});

export type MlflowStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export const MLFLOW_STATUS_TO_RUN = { RUNNING: 'running', SCHEDULED: 'running', FINISHED: 'completed', FAILED: 'failed', KILLED: 'stopped' } as const;
/** A stalled run may still speak; a lost one is gone, which MLflow can only call failed. */
export const RUN_STATUS_TO_MLFLOW: Record<RunStatus, MlflowStatus> = {
  running: 'RUNNING',
  paused: 'RUNNING',
  stalled: 'RUNNING',
  lost: 'FAILED',
  completed: 'FINISHED',
  failed: 'FAILED',
  stopped: 'KILLED',
};
