// Keras console output: `Epoch 3/10` on its own line, then the progress line ending the epoch with its metrics.
import type { EventInput } from '../../domain/events.ts';
import { epochStarted, metricsHere, putValue, type LineParser } from './state.ts';
import { NUM, readNumber } from './numbers.ts';

const EPOCH_LINE = /^\s*Epoch\s+(\d+)\s*\/\s*(\d+)\s*$/;
/**
 * `375/375 [====] - 2s 5ms/step - loss: 0.52 - ...` (Keras 2), `375/375 ━━━━ 2s 5ms/step - ...`
 * (Keras 3) and `375/375 - 2s - loss: ...` (verbose=2): batch position, a bar, then ` - name: value`.
 */
const PROGRESS = /^\s*(\d+)\/(\d+)\s+(?:\[[=>.]*\]|[━─]+)?\s*(?:-\s*)?(?:ETA:|\d+m?s\b)/;
const METRIC = new RegExp(String.raw`\s-\s([A-Za-z][\w/]*):\s*(${NUM})`, 'gi');

export const parseKeras: LineParser = (line, state) => {
  const epoch = EPOCH_LINE.exec(line);
  if (epoch) return [epochStarted(state, Number(epoch[1]), Number(epoch[2]))];
  const progress = PROGRESS.exec(line);
  if (!progress) return undefined;
  // Lines before the last batch hold running means of an unfinished epoch (and repeat many times
  // in a captured terminal): only the finished epoch's line is a data point.
  if (progress[1] !== progress[2]) return [];
  const values: Record<string, number> = {};
  for (const m of line.matchAll(METRIC)) {
    putValue(values, m[1], readNumber(m[2]));
  }
  const events: EventInput[] = [];
  if (Object.keys(values).length > 0) events.push(metricsHere(state, values));
  return events;
};
