// Generic `key: value`, `key=value`, `key is value` and `| key value |` lines, with epoch and step pulled out.
import { canonicalOf, isMetricName } from '../../domain/aliases.ts';
import type { EventInput, MetricsInput } from '../../domain/events.ts';
import { isPositionName, normaliseName } from './names.ts';
import { NOT_NUMBER_WORD, NUM, readNumber } from './numbers.ts';
import { globalStep, noteEpoch, putValue, type LineParser } from './state.ts';
import { table } from '../../domain/own.ts';

/**
 * A key is up to four words, each starting with a letter and not glued to what precedes it
 * (so `4.38seconds. Throughput is 408` yields `Throughput`, not `seconds. Throughput`). A value
 * may carry a unit (%, s, ms) but must end there: `eta: 2:46:39` and `40,012,032` are not values.
 */
const WORD = String.raw`${NOT_NUMBER_WORD}[A-Za-z][\w/%@\-]*(?:\(\w+\))?(?:\.\w+)*`;
const VALUE_END = String.raw`(%|ms|s)?(?![\w:/])(?!\.\w)(?!,\d{3}(?!\d))`;
/** Not after `(`: `Linear(in_features=768, ...)` is a repr, not a metric. The separator is kept: see BARE_SPLITS. */
const PAIR = new RegExp(String.raw`(?<![\w.(])(${WORD}(?: ${WORD}){0,3})(\s*[:=]\s*|\s+is\s+)(${NUM})${VALUE_END}`, 'gi');
/**
 * `Train loss 0.35 val loss 0.41`, `Loss nan (nan)`: one or two words, a space, a number. With no
 * separator, prose matches too (`took 12.5 seconds`), so only names that say they measure the
 * model are read this way.
 */
const SPACED = new RegExp(String.raw`(?<![\w.(@])(${WORD}(?: ${WORD})?)\s+(${NUM})${VALUE_END}`, 'gi');
/**
 * `| loss  7.64 |`, `iter 100: loss 2.34, time 12.3ms`: inside segments split by pipes, commas,
 * semicolons, tabs or `: `, a space separates name and value.
 */
const SEGMENTS = /[|,;\t]|:\s+/;
const SEGMENT = new RegExp(String.raw`^(${WORD}(?: ${WORD}){0,3})\s+(${NUM})${VALUE_END}$`, 'i');

/**
 * PyTorch's reference trainers and their descendants print AverageMeters as `Name value (average)`
 * after an `[epoch][i/n]` position: `Time 0.154 (8.010)  Data 0.001 (7.720)  Loss 6.9 (6.9)`.
 * There `Time` is the batch's time and `Data` the time spent waiting for it.
 */
const METER = new RegExp(String.raw`(?<![\w.(])([A-Za-z][\w@]*)\s+(${NUM})\s+\(\s*${NUM}\s*\)`, 'g');
const METER_NAMES: Record<string, string> = table({ time: 'batch_time', data: 'data_time' });

/**
 * The same trainers evaluate with `Test: [ 0/40]  Time ..  Loss ..  Acc@1 ..` lines and close with
 * ` * Acc@1 76.1 Acc@5 92.9`: both on the held-out (validation) set.
 */
const METER_EVAL = /^\s*(?:Test:\s*\[\s*\d+\s*\/\s*\d+\s*\]|\*\s+Acc@?1\b)/i;

/** `Epoch(val) [1][10/10]` (mmengine) names the split of the line's values. */
export const EPOCH = /(?<![\w/])epoch(?:\((\w+)\))?\s*[=:#]?\s*\[?\s*(\d+(?:\.\d+)?)(?:\s*\/\s*(\d+))?/i;
const STEP = /(?<![\w/])(?:global_step|step|iteration|iter|batch)\s*[=:#]?\s*\[?\s*(\d+)(?:\s*\/\s*(\d+))?/i;
/** mmengine's `Epoch(train) [1][200/735]`, wlm's `200/ 2983 batches`: a step within the epoch. */
const IN_EPOCH = /\]\s*\[\s*(\d+)\s*\/\s*(\d+)\s*\]|(\d+)\s*\/\s*(\d+)\s+batches/;

/**
 * A bare split as a key (`train=0.52 valid=0.61`, fairseq's `| valid 2.31 |`) is that split's
 * loss. After a colon it is not: Ginex prints its train accuracy as `Approx. Train: 0.4851`.
 */
const BARE_SPLITS = new Set(['train', 'val', 'test']);
/** `📊 Evaluation Results:` heads lines of bare `Loss: 0.53` that are validation values. */
const SECTION = /\b(evaluation|validation|eval|valid|test)\b[^:|]*:\s*$/i;
/** `Final Results: Loss=0.49, PPL=1.63`, `Test set: Average loss: 0.03`: a label before the first value names its split. */
const INLINE_LABEL = /\b(final|evaluation|validation|eval|valid|test)\b[\w ]*:\s*$/i;
/** Names that already say which split they measure. */
const HAS_SPLIT = /^(?:train|val|test)_/;

/**
 * A line placed at a step or iteration that prints a bare `time` (nanoGPT's `time 12.34ms`,
 * mmengine's and detectron2's `time: 0.5000`) means the time that step took. Elsewhere `time`
 * is left alone: YOLOv8 means the time elapsed since the start by it.
 */
const STEP_TIME = 'time';

function addPair(values: Record<string, number>, rawName: string, rawValue: string, splitIsLoss = false, unit?: string): boolean {
  const name = normaliseName(rawName);
  if (isPositionName(name)) return false;
  const value = readNumber(rawValue);
  if (name === STEP_TIME && unit === 'ms' && value !== undefined) return putValue(values, name, value / 1000);
  return putValue(values, splitIsLoss && BARE_SPLITS.has(name) ? `${name}_loss` : name, value);
}

function withSplit(values: Record<string, number>, split: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) out[HAS_SPLIT.test(name) ? name : `${split}_${name}`] = value;
  return out;
}

/**
 * Names that make an unplaced line a data point: a measure of the model, or the optimiser's
 * learning rate and gradient norm, which many loops print on lines of their own each epoch
 * (nnU-Net's `Current learning rate: 0.01`).
 */
function readsAlone(name: string): boolean {
  if (isMetricName(name)) return true;
  const canonical = canonicalOf(name)?.canonical;
  return canonical === 'lr' || canonical === 'grad_norm';
}

/** A logging level word would otherwise join the first key: `INFO Train Loss: 0.5`. */
const LEVEL = /\b(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b[\s:\-\]]*/;

/** A shell or Python comment pasted with the log (`# source: ... grad_norm: nan`) is prose about it. */
const COMMENT = /^\s*#\s/;

export const parseKeyValue: LineParser = (raw, state) => {
  if (COMMENT.test(raw)) return undefined;
  const line = raw.replace(LEVEL, ' ');
  const section = SECTION.exec(line);
  if (section) {
    state.section = normaliseName(section[1]) as 'val' | 'test';
    return [];
  }
  const values: Record<string, number> = {};
  let label: RegExpExecArray | null = null;
  for (const m of line.matchAll(PAIR)) {
    if (addPair(values, m[1], m[3], m[2].includes('='), m[4]) && Object.keys(values).length === 1) label = INLINE_LABEL.exec(line.slice(0, m.index));
  }
  if (/[|,;\t]|:\s/.test(line)) {
    for (const segment of line.split(SEGMENTS)) {
      const m = SEGMENT.exec(segment.trim());
      if (m) addPair(values, m[1], m[2], true, m[3]);
    }
  }
  for (const m of line.matchAll(SPACED)) {
    if (isMetricName(normaliseName(m[1]))) addPair(values, m[1], m[2], false, m[3]);
  }
  const epochMatch = EPOCH.exec(line);
  const stepMatch = STEP.exec(line);
  const inEpoch = IN_EPOCH.exec(line);
  if (inEpoch) {
    for (const m of line.matchAll(METER)) {
      const meter = METER_NAMES[m[1].toLowerCase()];
      if (meter) putValue(values, meter, readNumber(m[2]));
    }
  }
  if ((stepMatch !== null || inEpoch !== null) && Object.hasOwn(values, STEP_TIME)) {
    putValue(values, 'step_time', values[STEP_TIME]);
    delete values[STEP_TIME];
  }
  const names = Object.keys(values);
  const placed = epochMatch !== null || stepMatch !== null || inEpoch !== null;
  // A section lasts while lines hold bare values; a line with a position or no values ends it.
  const phase = epochMatch?.[1] && normaliseName(epochMatch[1]);
  const meterEval = METER_EVAL.test(line);
  const split = meterEval ? 'val' : label ? normaliseName(label[1]) : phase && phase !== 'train' ? phase : placed ? undefined : state.section;
  if (placed) state.section = undefined;
  if (names.length === 0 || (!placed && !names.some(readsAlone))) {
    state.section = undefined;
    return undefined;
  }
  const event: MetricsInput = { type: 'metrics', values: split ? withSplit(values, split) : values };
  if (epochMatch) {
    event.epoch = noteEpoch(state, Number(epochMatch[2]), epochMatch[3] === undefined ? undefined : Number(epochMatch[3]));
  } else if (state.epoch !== undefined) {
    // Seed 3 and Keras print the epoch on its own line; the metrics after it belong to it.
    event.epoch = state.epoch;
  }
  if (inEpoch) {
    event.step = globalStep(state, Number(inEpoch[1] ?? inEpoch[3]), Number(inEpoch[2] ?? inEpoch[4]));
  } else if (stepMatch) {
    event.step = globalStep(state, Number(stepMatch[1]), stepMatch[2] === undefined ? undefined : Number(stepMatch[2]));
  }
  if (event.step !== undefined) state.step = event.step;
  // Values printed after the step lines (an evaluation block) were measured at the last step.
  else if (state.step !== undefined) event.step = state.step;
  return [event as EventInput];
};
