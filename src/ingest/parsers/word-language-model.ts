// PyTorch's word_language_model example: `| epoch   1 |   200/ 2983 batches | lr 20.00 | ... | loss  7.64 | ppl  2089.45`.
import type { EventInput } from '../../domain/events.ts';
import { normaliseName } from './names.ts';
import { NUM, readNumber } from './numbers.ts';
import { globalStep, metricsHere, noteEpoch, putValue, type LineParser } from './state.ts';

const TRAIN = /^\|\s*epoch\s+(\d+)\s*\|\s*(\d+)\s*\/\s*(\d+)\s+batches\s*\|/;
const END_OF_EPOCH = /^\|\s*end of epoch\s+(\d+)\s*\|/;
const END_OF_TRAINING = /^\|\s*end of training\s*\|/i;
const CELL = new RegExp(String.raw`^([A-Za-z][\w/ ]*?):?\s+(${NUM})s?$`, 'i');

/** The `name value` cells of a line; `timeName` says what its `time` measures. */
function cells(line: string, timeName: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const cell of line.split('|')) {
    const m = CELL.exec(cell.trim());
    if (!m) continue;
    const name = normaliseName(m[1]);
    // `epoch 1` and `end of epoch 1` are the line's position, already read.
    if (!name.includes('epoch')) putValue(values, name === 'time' ? timeName : name, readNumber(m[2]));
  }
  return values;
}

export const parseWordLanguageModel: LineParser = (line, state) => {
  const train = TRAIN.exec(line);
  if (train) {
    const epoch = noteEpoch(state, Number(train[1]));
    const step = (state.step = globalStep(state, Number(train[2]), Number(train[3])));
    return [metricsHere(state, cells(line, 'step_time'), { epoch, step })];
  }
  const end = END_OF_EPOCH.exec(line);
  if (end) {
    const epoch = noteEpoch(state, Number(end[1]));
    // The `time:` of an end-of-epoch line is the epoch's duration, not a step time.
    const values = cells(line, 'epoch_time');
    const events: EventInput[] = [];
    if (Object.keys(values).length > 0) events.push(metricsHere(state, values, { epoch, step: state.step }));
    events.push({ type: 'epoch_ended', epoch });
    return events;
  }
  if (END_OF_TRAINING.test(line)) {
    const values = cells(line, 'time');
    return Object.keys(values).length > 0 ? [metricsHere(state, values, { step: state.step })] : [];
  }
  return undefined;
};
