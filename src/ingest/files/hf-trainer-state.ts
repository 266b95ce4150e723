// Hugging Face Trainer's trainer_state.json: log_history entries become metrics events.
import { describeValue } from '../../domain/json-value.ts';
import type { EventInput } from '../../domain/events.ts';
import type { RunStartedInput } from '../../domain/imports.ts';
import type { ParsedDocument } from './formats.ts';
import { asObject, pick, positiveTotal } from './document-fields.ts';
import { ReadTally } from './read-tally.ts';
import { recordToMetrics } from './records.ts';

/** Trainer settings worth keeping as the run's configuration. */
const CONFIG_KEYS = ['train_batch_size', 'logging_steps', 'eval_steps', 'save_steps', 'num_train_epochs', 'max_steps'];
/** Outcome facts, kept as metadata rather than metrics. */
const META_KEYS = ['best_metric', 'best_model_checkpoint', 'best_global_step', 'global_step', 'total_flos', 'trial_name', 'trial_params'];

/**
 * The last log_history entry is a summary (train_runtime, mean train_loss over the whole run,
 * samples per second): fed as a metric it would look like a last-step jump in the loss, so it
 * goes to the run's metadata instead.
 */
function isSummary(entry: Record<string, unknown>): boolean {
  return 'train_runtime' in entry;
}

export function parseTrainerState(doc: unknown): ParsedDocument {
  const state = doc as Record<string, unknown>;
  const tally = new ReadTally();
  const events: EventInput[] = [];
  const meta = pick(state, META_KEYS);
  const history = state.log_history as unknown[];
  history.forEach((entry, i) => {
    tally.lines++;
    const record = asObject(entry);
    if (!record) {
      tally.skip({ code: 'bad_record', line: i + 1, message: `log_history[${i}] is not an object`, text: describeValue(entry) });
      return;
    }
    if (isSummary(record)) {
      Object.assign(meta, pick(record, ['train_runtime', 'train_loss', 'train_samples_per_second', 'train_steps_per_second']));
      return;
    }
    const event = recordToMetrics(record);
    if (event) events.push(event);
  });
  const runStarted: RunStartedInput = { type: 'run_started', config: pick(state, CONFIG_KEYS), meta };
  const totalSteps = positiveTotal(state.max_steps);
  const totalEpochs = positiveTotal(state.num_train_epochs);
  if (totalSteps !== undefined) runStarted.total_steps = totalSteps;
  if (totalEpochs !== undefined) runStarted.total_epochs = totalEpochs;
  return { run_started: runStarted, events, tally };
}
