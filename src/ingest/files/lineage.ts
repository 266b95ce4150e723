// Seed 2's training_info.json: a model's multi-stage lineage, one metrics event per history entry.
import { describeValue } from '../../domain/json-value.ts';
import type { EventInput } from '../../domain/events.ts';
import { MAX_NAME_LENGTH } from '../../domain/events.ts';
import type { RunStartedInput } from '../../domain/imports.ts';
import type { ParsedDocument } from './formats.ts';
import { asObject, pick, positiveTotal } from './document-fields.ts';
import { ReadTally } from './read-tally.ts';
import { recordToMetrics, toMillis } from './records.ts';

/** Lineage facts kept as metadata, under the names seed 2's manager writes (and their common variants). */
const META_KEYS = [
  // The lineage's model (GET /lineage groups stages by it).
  'model_name',
  'final_checkpoint', 'best_checkpoint', 'checkpoint', 'created', 'created_at', 'last_updated', 'updated_at', 'total_steps',
  'git_commit', 'environment',
];

function text(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw !== '' ? raw.slice(0, MAX_NAME_LENGTH) : undefined;
}

/**
 * Steps and epochs are counted across the whole lineage (10,000 on A then 5,000 on B ends at step
 * 15,000), so the run's series stay in order from one dataset to the next.
 */
export function parseLineage(doc: unknown): ParsedDocument {
  const info = doc as Record<string, unknown>;
  const tally = new ReadTally();
  const events: EventInput[] = [];
  const history = info.history as unknown[];
  let steps = 0;
  let epochs = 0;
  let lastHyperparams: Record<string, unknown> = {};
  history.forEach((raw, i) => {
    tally.lines++;
    const entry = asObject(raw);
    if (!entry) {
      tally.skip({ code: 'bad_record', line: i + 1, message: `history[${i}] is not an object`, text: describeValue(raw) });
      return;
    }
    steps += positiveTotal(entry.steps) ?? 0;
    epochs += typeof entry.epochs === 'number' && entry.epochs > 0 ? entry.epochs : 0;
    lastHyperparams = asObject(entry.hyperparams) ?? lastHyperparams;
    const event = recordToMetrics(asObject(entry.metrics) ?? {});
    if (!event) return;
    if (steps > 0) event.step = steps;
    if (epochs > 0) event.epoch = epochs;
    const ts = toMillis(entry.end_time) ?? toMillis(entry.start_time);
    if (ts !== undefined) event.ts = ts;
    events.push(event);
  });
  const runStarted: RunStartedInput = {
    type: 'run_started',
    config: lastHyperparams,
    meta: {
      ...pick(info, META_KEYS),
      // Per-entry facts without the metrics, which are already the events.
      history: history.map((e) => {
        const { metrics: _metrics, ...rest } = asObject(e) ?? {};
        return rest;
      }),
    },
  };
  const name = text(info.model_name);
  const stage = text(info.stage);
  const dataset = text(info.last_dataset);
  const baseModel = text(info.base_model);
  const totalSteps = positiveTotal(info.total_steps) ?? positiveTotal(steps);
  if (name) runStarted.name = name;
  if (stage) runStarted.stage = stage;
  if (dataset) runStarted.dataset = dataset;
  if (baseModel) runStarted.base_model = baseModel;
  if (totalSteps) runStarted.total_steps = totalSteps;
  return { run_started: runStarted, events, tally };
}
