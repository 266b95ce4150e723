// Hugging Face Trainer console lines: `{'loss': 0.51, 'grad_norm': 1.2, 'learning_rate': 2e-05, 'epoch': 1.0}`, and dicts like them.
import { toEpoch, toStep } from '../files/records.ts';
import { bracketBody, parsePythonEntries } from './python-literal.ts';
import { noteEpoch, putValue, type LineParser, type LineParseState } from './state.ts';
import type { EventInput } from '../../domain/events.ts';

/**
 * The dict may follow a tqdm bar on the same line; it starts at the first `{'name':`. fairseq's
 * `--log-format json` prints `| train_inner | {"loss": "10.5", "num_updates": "100"}`: JSON with
 * its numbers quoted.
 */
const DICT_START = /\{\s*(['"])[^'"]+\1\s*:/;
const QUOTED_NUMBER = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i;

const numberOf = (raw: unknown): number | undefined =>
  typeof raw === 'number' ? raw : typeof raw === 'string' && QUOTED_NUMBER.test(raw) ? Number(raw) : undefined;

/**
 * A dict pretty-printed over several lines (the TensorFlow Object Detection API logs
 * `{'Loss/classification_loss': 0.51,` then a line per entry): its lines are gathered until it
 * closes. A dict still open after this many lines is no metrics dict.
 */
const MAX_DICT_LINES = 200;

export const parseHfDict: LineParser = (line, state) => {
  const start = DICT_START.exec(line);
  if (!start) return undefined;
  const text = line.slice(start.index);
  const body = bracketBody(text, 0);
  if (body !== undefined) return dictEvents(body, state);
  state.openDict = { text, lines: 1 };
  return [];
};

/** The next line of a dict left open; undefined when it cannot belong to one (the dict is given up). */
export function continueDict(line: string, state: LineParseState): EventInput[] | undefined {
  const open = state.openDict!;
  open.text += ` ${line.trim()}`;
  open.lines++;
  const body = bracketBody(open.text, 0);
  if (body === undefined && open.lines < MAX_DICT_LINES) return [];
  state.openDict = undefined;
  return body === undefined ? undefined : dictEvents(body, state);
}

function dictEvents(body: string, state: LineParseState): EventInput[] | undefined {
  const values: Record<string, number> = {};
  let epoch: number | undefined;
  let step: number | undefined;
  for (const [key, raw] of Object.entries(parsePythonEntries(body))) {
    if (key === 'epoch') epoch = toEpoch(raw);
    else if (key === 'step' || key === 'global_step' || key.endsWith('num_updates')) step = toStep(numberOf(raw));
    // Names are kept as HF wrote them: they are already the snake names the alias table knows.
    else putValue(values, key, numberOf(raw));
  }
  if (Object.keys(values).length === 0) return undefined;
  // The closing summary (`{'train_runtime': .., 'train_loss': <mean over the run>, ..}`) is one
  // mean of the whole run: fed as a point it would look like a last-step jump. It is recognised
  // (not skipped silently), and carries nothing the rules read.
  if ('train_runtime' in values) return [];
  const event: EventInput = { type: 'metrics', values };
  if (epoch !== undefined) event.epoch = noteEpoch(state, epoch);
  if (step !== undefined) event.step = state.step = step;
  // A dict without its step was logged at the last one a line gave (`Step 100 per-step time 0.5s`).
  else if (state.step !== undefined) event.step = state.step;
  return [event];
};
