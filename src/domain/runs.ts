import { z } from 'zod';
import { RunStatus, type RunStartedEvent } from './events.ts';
import { JsonObject } from './json-value.ts';
import { RunMeta } from './run-meta.ts';

export { RunStatus };

const Name = z.string().trim().min(1).max(250);

/** A run's id: safe in a URL path and never mistaken for a `project/name` reference. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a run id is 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit');

/** What a new run is made of. Names need not be unique: the id is the run's identity. */
export const CreateRunInput = z.object({
  /** A client-chosen id: creating again with it returns the same run (an idempotent retry). */
  id: RunId.optional(),
  name: Name,
  project: Name.default('default'),
  config: JsonObject.default({}),
  meta: RunMeta.default({}),
  total_epochs: z.number().int().positive().optional(),
  total_steps: z.number().int().positive().optional(),
  stage: z.string().max(250).optional(),
  dataset: z.string().max(250).optional(),
  base_model: z.string().max(1000).optional(),
  parent_run: z.string().max(250).optional(),
  tags: z.record(z.string(), z.string().max(5000)).default({}),
});
export type CreateRunInput = z.output<typeof CreateRunInput>;

/**
 * `POST /runs`: a new run, unless `resume` names one to continue: a run id, or `true` for the
 * newest run with this project and name (created when there is none). Resuming by id needs no
 * name; a name or project given with it must be the run's own.
 */
export const CreateRunBody = CreateRunInput.extend({
  name: Name.optional(),
  project: Name.optional(),
  resume: z.union([z.literal(true), RunId]).optional(),
})
  .strict()
  .superRefine((b, ctx) => {
    if (b.name === undefined && typeof b.resume !== 'string') ctx.addIssue({ code: 'custom', path: ['name'], message: 'a run needs a name (or "resume": "<run id>")' });
    if (typeof b.resume === 'string' && b.id !== undefined) ctx.addIssue({ code: 'custom', path: ['id'], message: 'give either "id" (create idempotently) or "resume" (continue a run), not both' });
  });
export type CreateRunBody = z.output<typeof CreateRunBody>;

const TagName = z.string().trim().min(1).max(250).refine((t) => !t.includes(','), 'a tag name holds no comma (the list filter separates tags with commas)');

/**
 * `PATCH /runs/:id`: what a person tidies. Tags are the run's key → value map (MLflow's tags);
 * a tag given as a bare word is a label with an empty value.
 */
export const RunChanges = z
  .object({
    name: Name.optional(),
    note: z.string().max(10_000).nullable().optional(),
    archived: z.boolean().optional(),
    add_tags: z.union([z.array(TagName).max(100), z.record(TagName, z.string().max(5000))]).optional(),
    remove_tags: z.array(z.string().min(1).max(250)).max(100).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change: give name, note, archived, add_tags or remove_tags');
export type RunChanges = z.output<typeof RunChanges>;

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
  note: z.string().nullable(),
  archived_at: z.number().nullable(),
  /** When the service last received an event for the run (its own clock); null before the first. */
  last_event_at: z.number().nullable(),
});
export type Run = z.infer<typeof Run>;

/** One of the runs a reference may mean, as a person picks between them. */
export interface RunCandidate {
  id: string;
  project: string;
  name: string;
  status: Run['status'];
  created_at: number;
  archived: boolean;
}

export function candidateOf(run: Run): RunCandidate {
  return { id: run.id, project: run.project, name: run.name, status: run.status, created_at: run.created_at, archived: run.archived_at !== null };
}

const Flag = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');

export const RunListQuery = z.object({
  project: z.string().optional(),
  name: z.string().optional(),
  status: RunStatus.optional(),
  /** `tag=baseline,team=vision`: runs holding every one of these tags (`key=value` also matches the value). */
  tag: z
    .string()
    .optional()
    .transform((t) => (t ? t.split(',').map((x) => x.trim()).filter(Boolean) : [])),
  /** Words each found in the run's name, project, tags or config (case-insensitive). */
  q: z
    .string()
    .transform((t) => t.toLowerCase().split(/\s+/).filter(Boolean))
    .optional(),
  /**
   * `created` (the default, newest first), `updated`, `name`, `project`, `status`, `config.<key>` or
   * `summary.<metric>` (its latest value); a leading `-` sorts descending. Runs without the value come last.
   */
  sort: z
    .string()
    .regex(/^-?(created|updated|name|project|status|config\..+|summary\..+)$/, 'sort by created, updated, name, project, status, config.<key> or summary.<metric>, with - for descending')
    .optional(),
  /** Archived runs are left out unless asked for; `only` lists nothing else. */
  archived: z.union([Flag, z.literal('only')]).default(false),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type RunListQuery = z.output<typeof RunListQuery>;

/** What the runs table shows of a run besides its record: each metric's latest value, open findings by severity. */
export interface RunColumns {
  /** Metric name as sent → its latest value (NaN for a non-finite one stored as such). */
  summary: Record<string, number>;
  open_by_severity: Record<'critical' | 'warning' | 'info', number>;
}

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
