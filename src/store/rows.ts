// The core tables' rows as both engines store them (same columns, JSON as text), and what they read back as.
import type { EventBody, StoredEvent } from '../domain/events.ts';
import type { Finding } from '../domain/findings.ts';
import type { Run } from '../domain/runs.ts';
import type { SeriesPoint } from './series.ts';
import type { RunPatch } from './store.ts';
import { decodeNonFinite } from '../domain/values.ts';

export interface RunRow {
  id: string;
  project: string;
  name: string;
  status: string;
  config: string;
  meta: string;
  tags: string;
  total_epochs: number | null;
  total_steps: number | null;
  stage: string | null;
  dataset: string | null;
  base_model: string | null;
  parent_run: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  last_seq: number;
  note: string | null;
  archived_at: number | null;
  last_event_at: number | null;
}

export interface EventRow {
  gid: number;
  run: string;
  seq: number;
  ts: number;
  event_id: string | null;
  body: string;
}

export interface FindingRow {
  id: string;
  run: string;
  kind: string;
  severity: string;
  status: string;
  step: number | null;
  epoch: number | null;
  seen_step: number | null;
  seen_epoch: number | null;
  message: string;
  evidence: string;
  actions: string;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export function toRun(row: RunRow): Run {
  return {
    ...row,
    status: row.status as Run['status'],
    config: JSON.parse(row.config),
    meta: JSON.parse(row.meta),
    tags: JSON.parse(row.tags),
  };
}

export function toEvent(row: EventRow): StoredEvent {
  const body = JSON.parse(row.body) as EventBody;
  if (body.type === 'metrics') body.values = decodeNonFinite(body.values);
  const event = { ...body, run: row.run, seq: row.seq, gid: row.gid, ts: row.ts } as StoredEvent;
  if (row.event_id !== null) event.event_id = row.event_id;
  return event;
}

export function toFinding(row: FindingRow): Finding {
  return {
    ...row,
    kind: row.kind as Finding['kind'],
    severity: row.severity as Finding['severity'],
    status: row.status as Finding['status'],
    evidence: decodeNonFinite(JSON.parse(row.evidence) as Finding['evidence']),
    actions: JSON.parse(row.actions),
  };
}

/** Run columns a patch may set that hold JSON. */
export const RUN_PATCH_JSON = new Set(['config', 'meta', 'tags']);

/** Every column a patch may set: its keys are written into the statement, so no other name gets there. */
export const RUN_PATCH_COLUMNS: ReadonlySet<string> = new Set([
  'status',
  'config',
  'meta',
  'tags',
  'total_epochs',
  'total_steps',
  'stage',
  'dataset',
  'base_model',
  'parent_run',
  'finished_at',
  'name',
  'note',
  'archived_at',
] satisfies Array<keyof RunPatch>);

/**
 * The `(project, name)` pairs a reference may spell: a project may itself hold slashes
 * (MLflow's `/Users/me/exp`), so every slash is a possible split.
 */
export function namePairs(ref: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = ref.indexOf('/'); i >= 0; i = ref.indexOf('/', i + 1)) if (i > 0 && i < ref.length - 1) pairs.push([ref.slice(0, i), ref.slice(i + 1)]);
  return pairs;
}

export interface PointRow {
  i: number;
  step: number | null;
  epoch: number | null;
  value: number | null;
  ts: number;
  seq: number;
}

// Both engines store NaN as NULL; a point always has a value, so NULL reads back as NaN.
export const toPoint = (r: PointRow): SeriesPoint => ({ i: r.i, step: r.step, epoch: r.epoch, value: r.value ?? NaN, ts: r.ts, seq: r.seq });
