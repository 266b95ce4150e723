// Seed 3's training-service lines: `Epoch [3/10] started`, top-k dicts, `New best model saved with Accuracy: 79.12%`.
// Its `Train Loss: 0.52, Train Accuracy: 82.45%` lines are plain key: value pairs (key-value.ts).
import { normaliseName } from './names.ts';
import { NUM, readNumber } from './numbers.ts';
import { bracketBody, parsePythonEntries } from './python-literal.ts';
import { epochStarted, metricsHere, putValue, type LineParser } from './state.ts';

const STARTED = /\bEpoch\s*\[\s*(\d+)\s*\/\s*(\d+)\s*\]\s*(?:started|starting|begins?)\b/i;
/** `Validation Top-k Accuracy: {'top1': 78.92, ...}`: a labelled dict of metrics. */
const LABELLED_DICT = /\b((?:train(?:ing)?|val(?:id(?:ation)?)?|eval|test)\b[^:{]*):\s*\{/i;
const NEW_BEST = new RegExp(String.raw`\bnew best model saved with ([A-Za-z][\w ]*?):\s*(${NUM})%?`, 'i');

export const parseSeed3: LineParser = (line, state) => {
  const started = STARTED.exec(line);
  if (started) return [epochStarted(state, Number(started[1]), Number(started[2]))];

  const labelled = LABELLED_DICT.exec(line);
  if (labelled) {
    const body = bracketBody(line, labelled.index + labelled[0].length - 1);
    if (body === undefined) return undefined;
    // Split is the first word of the label ("Validation Top-k Accuracy" → val): keys become val_top1, ...
    const split = normaliseName(labelled[1].trim().split(/\s+/)[0]);
    const values: Record<string, number> = {};
    for (const [key, raw] of Object.entries(parsePythonEntries(body))) {
      if (typeof raw === 'number') putValue(values, `${split}_${normaliseName(key)}`, raw);
    }
    return Object.keys(values).length > 0 ? [metricsHere(state, values)] : undefined;
  }

  const best = NEW_BEST.exec(line);
  if (best) {
    const value = readNumber(best[2]);
    if (value === undefined) return undefined;
    const metric = `best_${normaliseName(best[1])}`;
    return [metricsHere(state, { [metric]: value })];
  }
  return undefined;
};
