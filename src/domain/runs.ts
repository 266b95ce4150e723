import { z } from 'zod';
import { RunStatus, type RunStartedEvent } from './events.ts';
import { JsonObject } from './json-value.ts';

export { RunStatus };

const Name = z.string().trim().min(1).max(250);

/** `POST /runs`: a run is identified by project + name, so creating it twice returns the first. */
export const CreateRunInput = z.object({
  name: Name,
  project: Name.default('default'),
  config: JsonObject.default({}),
  meta: JsonObject.default({}),
  total_epochs: z.number().int().positive().optional(),
  total_steps: z.number().int().positive().optional(),
  stage: z.string().max(250).optional(),
  dataset: z.string().max(250).optional(),
  base_model: z.string().max(1000).optional(),
  parent_run: z.string().max(250).optional(),
  tags: z.record(z.string(), z.string().max(5000)).default({}),
});
export type CreateRunInput = z.output<typeof CreateRunInput>;

export const Run = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  status: RunStatus,
  config: z.record(z.string(), z.unknown()),
  meta: z.record(z.string(), z.unknown()),
  tags: z.record(z.string(), z.string()),
  total_epochs: z.number().nullable(),
  total_steps: z.number().nullable(),
  stage: z.string().nullable(),
  dataset: z.string().nullable(),
  base_model: z.string().nullable(),
  parent_run: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  finished_at: z.number().nullable(),
  last_seq: z.number(),
  /** When the service last received an event for the run (its own clock); null before the first. */
  last_event_at: z.number().nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunListQuery = z.object({
  project: z.string().optional(),
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type RunListQuery = z.output<typeof RunListQuery>;

/** A stored metric point: the name as sent, its canonical reading, and where in training it is. */
export interface MetricPoint {
  name: string;
  step: number | null;
  epoch: number | null;
  value: number;
  ts: number;
}

export type RunStartedChanges = Partial<Pick<Run, 'config' | 'meta' | 'total_epochs' | 'total_steps' | 'stage' | 'dataset' | 'base_model' | 'parent_run'>>;

/** What a `run_started` event changes in its run: config and meta merge, the rest replaces when given. */
export function runStartedChanges(run: Run, e: z.output<typeof RunStartedEvent>): RunStartedChanges {
  const changes: RunStartedChanges = {};
  if (e.config) changes.config = { ...run.config, ...e.config };
  if (e.meta) changes.meta = { ...run.meta, ...e.meta };
  if (e.total_epochs) changes.total_epochs = e.total_epochs;
  if (e.total_steps) changes.total_steps = e.total_steps;
  for (const k of ['stage', 'dataset', 'base_model', 'parent_run'] as const) if (e[k]) changes[k] = e[k];
  return changes;
}
