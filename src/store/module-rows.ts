// The rows of the modules' tables as both engines store them (same columns, JSON as text), and
// what they read back as: one conversion per table, whichever engine read the row.
import type { ParamValue, SuggestionOutcome, SuggestionStatus, TrackedSuggestion } from '../domain/analysis-request.ts';
import type { Severity } from '../domain/findings.ts';
import type { Control, ControlAction, ControlOutcome } from '../domain/streams.ts';
import type { Alert, AlertKindFilter, AlertType, Delivery, DeliveryStatus, Webhook, WebhookFormat } from '../domain/webhooks.ts';
import type { Experiment } from './experiments.ts';
import type { LoggedModel } from './logged-models.ts';
import type { MlflowMetricPoint } from './mlflow-metrics.ts';
import type { WebhookWithSecret } from './webhooks.ts';

export interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  min_severity: string;
  kinds: string | null;
  projects: string | null;
  format: string;
  include_analysis: number;
  source: string;
  created_at: number;
}

export function toWebhook(row: WebhookRow): WebhookWithSecret {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    min_severity: row.min_severity as Severity,
    kinds: row.kinds === null ? null : (JSON.parse(row.kinds) as AlertKindFilter[]),
    projects: row.projects === null ? null : (JSON.parse(row.projects) as string[]),
    format: row.format as WebhookFormat,
    include_analysis: row.include_analysis === 1,
    source: row.source as Webhook['source'],
    created_at: row.created_at,
  };
}

export interface SuggestionRow {
  id: string;
  run: string;
  project: string;
  kind: string;
  parameter: string;
  current: string;
  proposed: string;
  rationale: string;
  expected_effect: string;
  confidence: number;
  status: SuggestionStatus;
  created_at: number;
  updated_at: number;
  outcome: string | null;
}

export function toSuggestion(r: SuggestionRow): TrackedSuggestion {
  return {
    ...r,
    current: JSON.parse(r.current) as ParamValue,
    proposed: JSON.parse(r.proposed) as ParamValue,
    outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as SuggestionOutcome),
  };
}

export interface LoggedModelRow {
  id: string;
  experiment_id: string;
  source_run: string | null;
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

/** What a logged model keeps in its JSON `body` column. */
export type LoggedModelBody = Pick<LoggedModel, 'status' | 'model_type' | 'tags' | 'params'>;

export const toLoggedModel = (r: LoggedModelRow): LoggedModel => ({
  model_id: r.id,
  experiment_id: r.experiment_id,
  name: r.name,
  ...(r.source_run ? { source_run_id: r.source_run } : {}),
  ...(JSON.parse(r.body) as LoggedModelBody),
  creation_timestamp_ms: r.created_at,
  last_updated_timestamp_ms: r.updated_at,
});

export interface ControlRow {
  id: string;
  run: string;
  action: string;
  reason: string | null;
  requested_at: number;
  seq: number;
  delivered_at: number | null;
  acked_at: number | null;
  outcome: string | null;
  message: string | null;
}

export const toControl = (row: ControlRow): Control => ({ ...row, action: row.action as ControlAction, outcome: row.outcome as ControlOutcome | null });

export interface ExperimentRow {
  id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

export const toExperiment = (r: ExperimentRow): Experiment => ({
  experiment_id: String(r.id),
  name: r.name,
  artifact_location: r.artifact_location,
  lifecycle_stage: r.lifecycle_stage,
  tags: JSON.parse(r.tags) as Record<string, string>,
  creation_time: r.created_at,
  last_update_time: r.updated_at,
});

export interface MlflowMetricRow {
  name: string;
  step: number | null;
  value: number | null;
  ts: number;
}

export const toMlflowPoint = (r: MlflowMetricRow): MlflowMetricPoint => ({ key: r.name, value: r.value ?? NaN, timestamp: r.ts, step: r.step ?? 0 });

export interface AlertRow {
  seq: number;
  body: string;
  analysis: string | null;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  alert_id: string;
  alert_type: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  response_code: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export function toAlert(row: AlertRow): Alert {
  return { ...(JSON.parse(row.body) as Omit<Alert, 'seq' | 'analysis'>), seq: row.seq, analysis: row.analysis };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return { ...row, alert_type: row.alert_type as AlertType, status: row.status as DeliveryStatus };
}
