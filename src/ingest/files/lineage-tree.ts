// A tree of training_info.json files (one per stage directory) read as linked runs, a run per stage.
import { createHash } from 'node:crypto';
import { AnalystError, issuesFromZod } from '../../domain/errors.ts';
import { EventInput } from '../../domain/events.ts';
import type { RunStartedInput } from '../../domain/imports.ts';
import { TrainingInfo, type TrainingEntry } from '../../domain/lineage.ts';
import { parseJsonBody } from '../json-body.ts';
import { assignImportIds } from './import-ids.ts';
import { recordToMetrics, toMillis } from './records.ts';

/** One stage to store: its run (made once, under an id from the history that led to it) and its events. */
export interface StagePlan {
  id: string;
  parent: string | null;
  name: string;
  project: string;
  model: string;
  stage: string;
  dataset: string | null;
  /** The file whose own stage this is; null for an earlier stage known only from a later file's history. */
  file: string | null;
  events: EventInput[];
}

/**
 * A stage's run id comes from the model and the history up to it: every file that inherited the
 * stage names the same run, so a tree (or the same file twice) makes each stage once.
 */
function stageId(model: string, history: TrainingEntry[]): string {
  return `lin-${createHash('sha256').update(JSON.stringify([model, history])).digest('hex').slice(0, 24)}`;
}

function readFile(content: unknown, index: number): TrainingInfo {
  const raw = typeof content === 'string' ? parseJsonBody(content) : content;
  const r = TrainingInfo.safeParse(raw);
  if (r.success) return r.data;
  const issues = issuesFromZod(r.error, ['files', index, 'content']);
  throw new AnalystError('invalid_body', `invalid training_info.json: ${issues[0].path}: ${issues[0].message}`, issues);
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function stageEvents(info: TrainingInfo, history: TrainingEntry[], i: number, own: boolean, parent: string | null, stage: string): EventInput[] {
  const entry = history[i];
  const start = toMillis(entry.start_time);
  const end = toMillis(entry.end_time);
  const meta: Record<string, unknown> = { model_name: info.model_name, training_entry: entry };
  if (info.created) meta.created = info.created;
  if (own) {
    if (info.final_checkpoint) meta.final_checkpoint = info.final_checkpoint;
    if (info.last_updated) meta.last_updated = info.last_updated;
  }
  const started: RunStartedInput = { type: 'run_started', config: entry.hyperparams ?? {}, meta, stage };
  if (start !== undefined) started.ts = start;
  if (entry.steps) started.total_steps = entry.steps;
  if (entry.dataset) started.dataset = entry.dataset;
  if (parent) started.parent_run = parent;
  if (own && info.base_model) started.base_model = info.base_model;
  const events: unknown[] = [started];
  const metrics = recordToMetrics(entry.metrics ?? {});
  if (metrics) {
    if (entry.steps) metrics.step = entry.steps;
    if (typeof entry.epochs === 'number') metrics.epoch = entry.epochs;
    if (end !== undefined) metrics.ts = end;
    events.push(metrics);
  }
  events.push(end === undefined ? { type: 'run_finished', status: 'completed', timed: false } : { type: 'run_finished', status: 'completed', ts: end });
  // Through the one event schema: a time outside what a trainer can have meant is refused here, named.
  return events.map((e, k) => {
    const r = EventInput.safeParse(e);
    if (r.success) return r.data;
    const issues = issuesFromZod(r.error, ['history', i]);
    throw new AnalystError('invalid_body', `invalid history entry of ${info.model_name}: ${issues[0].path}: ${issues[0].message}`, issues, { event: k });
  });
}

/**
 * Every stage the files describe, parents before children. A file's last history entry is its own
 * stage (it carries the stage's name, base model and final checkpoint); earlier entries are the
 * stages it inherited, made from the file only when no file of their own is among those read.
 */
export function planLineage(files: Array<{ path: string; content: unknown }>, project?: string): StagePlan[] {
  const read = files.map((f, i) => ({ path: f.path, info: readFile(f.content, i) }));
  // Shorter histories first: a stage's own file, when present, names it before a later file's history does.
  read.sort((a, b) => a.info.history.length - b.info.history.length || a.path.localeCompare(b.path));
  const plans = new Map<string, StagePlan>();
  for (const { path, info } of read) {
    const model = info.model_name;
    let parent: string | null = null;
    info.history.forEach((entry, i) => {
      const id = stageId(model, info.history.slice(0, i + 1));
      const own = i === info.history.length - 1;
      if (!plans.has(id)) {
        const stage = own && text(info.stage) ? info.stage! : (text(entry.stage) ?? text(entry.dataset) ?? `stage ${i + 1}`);
        const events = stageEvents(info, info.history, i, own, parent, stage);
        assignImportIds(events, 'lineage');
        plans.set(id, { id, parent, name: `${model}:${stage}`.slice(0, 250), project: project ?? model, model, stage, dataset: text(entry.dataset), file: own ? path : null, events });
      }
      parent = id;
    });
  }
  return [...plans.values()];
}
