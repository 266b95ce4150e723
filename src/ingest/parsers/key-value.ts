// Generic `key: value`, `key=value`, `key is value` and `| key value |` lines, with epoch and step pulled out.
import { canonicalOf, isMetricName } from '../../domain/aliases.ts';
import type { EventInput, MetricsInput } from '../../domain/events.ts';
import { isPositionName, normaliseName } from './names.ts';
import { NOT_NUMBER_WORD, NUM, readNumber } from './numbers.ts';
import { epochStarted, globalStep, noteEpoch, putValue, type LineParser } from './state.ts';
import { table } from '../../domain/own.ts';

/**
 * A key is up to four words, each starting with a letter and not glued to what precedes it
 * (so `4.38seconds. Throughput is 408` yields `Throughput`, not `seconds. Throughput`). A value
 * may carry a unit (%, s, ms) but must end there: `eta: 2:46:39` and `40,012,032` are not values.
 */
const WORD = String.raw`${NOT_NUMBER_WORD}[A-Za-z][\w/%@\-]*(?: ?\((?:\w+|%)\))?(?:\.\w+)*`;
const VALUE_END = String.raw`(%|ms|s)?(?![\w:/])(?!\.\w)(?!,\d{3}(?!\d))`;
/**
 * Not after `(`: `Linear(in_features=768, ...)` is a repr, not a metric; not after `/`: in
 * `24.5it/s v_num: 0` the name is `v_num`. The separator is kept: see BARE_SPLITS.
 */
const PAIR = new RegExp(String.raw`(?<![\w.(/])(${WORD}(?: ${WORD}){0,3})(\s*[:=]\s*|\s+is\s+)(${NUM})${VALUE_END}`, 'gi');
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
/**
 * mmengine's iteration-based loops print `Iter(train) [50/80000]` and `Iter(val) [10/500]`;
 * fairseq counts its updates in `num_updates`, CycleGAN its iterations in `iters`.
 */
const STEP = /(?<![\w/])(?:global_step|step|iteration|iters|iter|batch|num_updates)(?:\((\w+)\))?\s*[=:#]?\s*\[?\s*(\d+)(?:\s*\/\s*(\d+))?/i;
/**
 * `Average loss at step 2000: 4.5` (TensorFlow's tutorials), `best acc at epoch 3: 0.91`: the
 * position sits between the name and its value, and is moved after it to be read as one.
 */
const AT_POSITION = new RegExp(String.raw`^(.*?[A-Za-z])\s+at\s+(step|epoch|iteration|iter)\s+(\d+)\s*[:=]\s*(${NUM})`, 'i');
/**
 * `[1,  2000] loss: 2.187`, as PyTorch's CIFAR-10 tutorial prints: the epoch, then the mini-batch
 * within it. Without the epoch's length the batch gives no step across epochs, so only the epoch is read.
 */
const EPOCH_BATCH = /^\s*\[\s*(\d+)\s*,\s*\d+\s*\]/;
/** DeepSpeed's `steps: 100 loss: 2.5`: `steps` places a line only where it starts one (elsewhere it is a count). */
const LEADING_STEPS = /^\s*steps\s*[:=]\s*(\d+)/i;
/**
 * timm's `Train: 3 [ 50/1251 (4%)]`: the split, the epoch, the step within the epoch. ESPnet's
 * `3epoch:train:101-200batch:` and its `3epoch results:` summary: the epoch glued to its number.
 */
const TAGGED_POSITION = /^\s*(train|eval|valid|val|test)\s*:\s*(\d+)\s*\[\s*(\d+)\s*\/\s*(\d+)/i;
const GLUED_EPOCH = /(?<![\w.])(\d+)epoch(?::(\w+):(?:\d+-)?(\d+)batch|\s+results)\b/i;
/**
 * A line that only says which epoch starts (nnU-Net's `Epoch 3`, MONAI's `epoch 3/100`, after
 * a timestamp): the values on the lines after it belong to that epoch.
 */
const EPOCH_ONLY = /^[\s\-=*#>]*epoch\s*[:#]?\s*(\d+)(?:\s*\/\s*(\d+))?[\s\-=*#:]*$/i;
/** A date and time inside a line (InsightFace's `Training: 2021-01-01 10:00:00,000-Speed`): no value. */
const DATETIME = /\d{4}[-/]\d\d[-/]\d\d[ T_]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?/g;
const STAMP = /^\s*\[?\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\]?\s*[:|\-]?/;
/**
 * A logger's source location (`model_lib_v2.py:705]`, `yolox.core.trainer:247 -`,
 * `[logging.py:96:log_dist]`): a dotted module or file name glued to a line number, no metric.
 */
const LOCATION = /(?<![\w.])[A-Za-z_]\w*(?:\.\w+)+:\d+(?![\w.])/g;
/**
 * Split tags inside a line: ESPnet's epoch summary `[train] loss=61.0, ... [valid] loss=52.0`,
 * fairseq's `| valid | epoch 001 | ... | loss 9.1 |`. What follows a tag is measured on that split.
 */
const SPLIT_TAG = /\[(train|valid|val|validation|eval|test|dev)\]|(?<=^|\|)\s*(train|train_inner|valid|val|validation|test|dev)\s*(?=\|)/gi;
/** A rate whose unit follows the value (`ips: 128.0 samples/s`, MXNet's `Speed: 1000.5 samples/sec`). */
const RATE_UNIT = /^\s*([a-z]+)\/(?:s|sec|second)\b/i;
/** mmengine's `Epoch(train) [1][200/735]`, wlm's `200/ 2983 batches`: a step within the epoch. */
const IN_EPOCH = /\]\s*\[\s*(\d+)\s*\/\s*(\d+)\s*\]|(\d+)\s*\/\s*(\d+)\s+batches/;

/**
 * A bare split as a key (`train=0.52 valid=0.61`, fairseq's `| valid 2.31 |`) is that split's
 * loss. After a colon it is not: Ginex prints its train accuracy as `Approx. Train: 0.4851`.
 */
const BARE_SPLITS = new Set(['train', 'val', 'test']);
/** Words of a heading that names a held-out split. */
const HELD_OUT = String.raw`\b(evaluation|validation|eval|valid|test)\b`;
/** `📊 Evaluation Results:` heads lines of bare `Loss: 0.53` that are validation values. */
const SECTION = new RegExp(String.raw`${HELD_OUT}[^:|]*:\s*$`, 'i');
/**
 * A banner (`***** Eval results *****`, `===== Validation =====`) heads a section the same way;
 * one that names no split (`***** Running training *****`) ends it.
 */
const BANNER = /^\s*[*=#~-]{3,}\s*([A-Za-z][\w ]*?)\s*[*=#~-]{3,}\s*$/;
const BANNER_SPLIT = new RegExp(HELD_OUT, 'i');
/**
 * `Final Results: Loss=0.49, PPL=1.63`, `Test set: Average loss: 0.03`, Megatron's `validation loss
 * at iteration 200 | lm loss value: 6.4`: a label before the first value names its split.
 */
const INLINE_LABEL = /\b(final|evaluation|validation|eval|valid|test)\b[\w ]*[:|]\s*$/i;
/**
 * A split word that starts the line (Flax's `eval epoch: 1, loss: 0.1`, Ignite's `Validation
 * Results - Epoch: 1  Avg loss: 0.29`) says what the line's values measure; followed by its own
 * value (`Val: 0.85`) it is that split's value instead.
 */
const LEADING_SPLIT = /^[\s\-=*#>|]*(eval|evaluation|valid|validation|val|test|testing)\b(?!\s*[:=]\s*[-+.\d])/i;
/** Names that already say which split they measure. */
const HAS_SPLIT = /^(?:train|val|test)_/;

/**
 * A line placed at a step or iteration that prints a bare `time` (nanoGPT's `time 12.34ms`,
 * mmengine's and detectron2's `time: 0.5000`) means the time that step took. Elsewhere `time`
 * is left alone: YOLOv8 means the time elapsed since the start by it.
 */
const STEP_TIME = 'time';

function addPair(values: Record<string, number>, rawName: string, rawValue: string, splitIsLoss = false, unit?: string, after = ''): boolean {
  const name = normaliseName(rawName);
  if (isPositionName(name)) return false;
  const value = readNumber(rawValue);
  if (name === STEP_TIME && unit === 'ms' && value !== undefined) return putValue(values, name, value / 1000);
  // Only a name that says nothing yet: `Throughput is 408 records/second` is read by its name.
  const rate = unit === undefined && canonicalOf(name) === undefined ? RATE_UNIT.exec(after) : null;
  if (rate) return putValue(values, `${name}_${rate[1].toLowerCase()}/s`, value);
  return putValue(values, splitIsLoss && BARE_SPLITS.has(name) ? `${name}_loss` : name, value);
}

/** The `name: value` pairs of a line (or of the part of it after a split tag), with their inline label. */
function readPairs(line: string, values: Record<string, number>): RegExpExecArray | null {
  let label: RegExpExecArray | null = null;
  for (const m of line.matchAll(PAIR)) {
    const after = line.slice(m.index + m[0].length, m.index + m[0].length + 16);
    if (addPair(values, m[1], m[3], m[2].includes('='), m[4], after) && Object.keys(values).length === 1) label = INLINE_LABEL.exec(line.slice(0, m.index));
  }
  if (/[|,;\t]|:\s/.test(line)) {
    for (const segment of line.split(SEGMENTS)) {
      const m = SEGMENT.exec(segment.trim());
      if (m) addPair(values, m[1], m[2], true, m[3]);
    }
  }
  for (const m of line.matchAll(SPACED)) {
    // Without a separator only a name the rules read, or one a rate's unit follows (InsightFace's
    // `Speed 1234.5 samples/sec`), is taken: prose holds many `word 3` pairs. A name ending in `is`
    // (`Throughput is 408 records/second`) was read as a pair already.
    if (/\sis$/i.test(m[1])) continue;
    const after = line.slice(m.index + m[0].length, m.index + m[0].length + 16);
    if (readsAlone(normaliseName(m[1])) || (m[3] === undefined && RATE_UNIT.test(after))) addPair(values, m[1], m[2], false, m[3], after);
  }
  return label;
}

/** fairseq's `train_inner` is training, between its epoch summaries. */
const splitOfTag = (tag: RegExpExecArray | RegExpMatchArray): string => normaliseName((tag[1] ?? tag[2]).replace(/_inner$/i, ''));

/**
 * The line's values, each part after a split tag under that split. The split of the whole line
 * when one tag leads it (fairseq), else undefined.
 */
function readTagged(line: string, values: Record<string, number>): { label: RegExpExecArray | null; tag?: string } {
  const tags = [...line.matchAll(SPLIT_TAG)];
  if (tags.length === 0) return { label: readPairs(line, values) };
  const label = readPairs(line.slice(0, tags[0].index), values);
  const splits = tags.map(splitOfTag);
  for (let i = 0; i < tags.length; i++) {
    const split = splits[i];
    const part: Record<string, number> = {};
    readPairs(line.slice(tags[i].index + tags[i][0].length, tags[i + 1]?.index), part);
    for (const [name, value] of Object.entries(split === 'train' ? part : withSplit(part, split))) putValue(values, name, value);
  }
  return { label, tag: splits[0] };
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

/** A sentence ending in one value: `Accuracy of the network on the 10000 test images: 54 %`. */
const PROSE = new RegExp(String.raw`^\s*([A-Za-z][\w ,'-]{8,120}?)\s*[:=]\s*(${NUM})\s*%?\s*$`);
const PROSE_SPLITS = new Set(['train', 'training', 'val', 'valid', 'validation', 'eval', 'evaluation', 'dev', 'test']);

/**
 * The name and value of such a sentence, when its words name a split and a quantity the rules
 * read (`test` and `accuracy` make `test_accuracy`); any other sentence stays unread.
 */
function proseValue(line: string): [string, string] | undefined {
  const m = PROSE.exec(line);
  if (!m) return undefined;
  const words = m[1].toLowerCase().split(/[^a-z]+/);
  const split = words.find((w) => PROSE_SPLITS.has(w));
  if (!split) return undefined;
  const word = words.find((w) => w !== split && canonicalOf(`${split}_${w}`) !== undefined);
  return word === undefined ? undefined : [`${split}_${word}`, m[2]];
}

/** A logging level word would otherwise join the first key: `INFO Train Loss: 0.5`. */
const LEVEL = /\b(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b[\s:\-\]]*/;

/** A split word cut short with a period (`Val. Loss: 0.41`): without the period it joins its name. */
const ABBREVIATED_SPLIT = /\b(val|valid|eval|test|train|trn)\.\s+(?=[a-z])/gi;

/** A shell or Python comment pasted with the log (`# source: ... grad_norm: nan`) is prose about it. */
const COMMENT = /^\s*#\s/;

interface Position {
  epoch?: number;
  totalEpochs?: number;
  /** The step, counted from the start of training or, with `perEpoch`, within the epoch. */
  step?: number;
  perEpoch?: number;
  /** The split the position says the line measures (`Epoch(val)`, `Iter(train)`, timm's `Train:`). */
  phase?: string;
  /** An `[epoch][i/n]` position, after which AverageMeters print `Name value (average)`. */
  inEpoch?: boolean;
  /** Text of a position that reads like a `name: value` pair, to be left out of the values. */
  text?: string;
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

function positionOf(line: string): Position {
  const tagged = TAGGED_POSITION.exec(line);
  if (tagged) return { epoch: Number(tagged[2]), step: Number(tagged[3]), perEpoch: Number(tagged[4]), phase: normaliseName(tagged[1]), inEpoch: true, text: tagged[0] };
  const epochBatch = EPOCH_BATCH.exec(line);
  if (epochBatch) return { epoch: Number(epochBatch[1]), text: epochBatch[0] };
  const glued = GLUED_EPOCH.exec(line);
  if (glued) return { epoch: Number(glued[1]), step: num(glued[3]), phase: glued[2] && normaliseName(glued[2]), text: glued[0] };
  const pos: Position = {};
  const epoch = EPOCH.exec(line);
  if (epoch) {
    pos.epoch = Number(epoch[2]);
    pos.totalEpochs = num(epoch[3]);
    if (epoch[1]) pos.phase = normaliseName(epoch[1]);
  }
  const inEpoch = IN_EPOCH.exec(line);
  if (inEpoch) return { ...pos, step: Number(inEpoch[1] ?? inEpoch[3]), perEpoch: Number(inEpoch[2] ?? inEpoch[4]), inEpoch: true };
  const step = STEP.exec(line);
  if (step) return { ...pos, step: Number(step[2]), perEpoch: num(step[3]), phase: pos.phase ?? (step[1] && normaliseName(step[1])) };
  const leading = LEADING_STEPS.exec(line);
  if (leading) pos.step = Number(leading[1]);
  return pos;
}

export const parseKeyValue: LineParser = (raw, state) => {
  if (COMMENT.test(raw)) return undefined;
  let line = raw.replace(LEVEL, ' ').replace(LOCATION, ' ').replace(ABBREVIATED_SPLIT, '$1 ');
  // The leading timestamp stays for STAMP below, which knows its brackets; a later one goes.
  const lead = STAMP.exec(line)?.[0].length ?? 0;
  const rest = line.slice(lead).replace(DATETIME, ' ');
  if (rest.length !== line.length - lead) line = line.slice(0, lead) + rest;
  // The cheap test first: most lines have no ` at `, and the pattern costs microseconds a line.
  if (line.includes(' at ')) line = line.replace(AT_POSITION, '$1: $4, $2 $3');
  const section = SECTION.exec(line);
  if (section) {
    state.section = normaliseName(section[1]) as 'val' | 'test';
    return [];
  }
  // Without its timestamp, for what must start the line (the replacement above kept its start).
  const unstamped = line.slice(lead);
  const epochOnly = EPOCH_ONLY.exec(unstamped);
  if (epochOnly) return [epochStarted(state, Number(epochOnly[1]), epochOnly[2] === undefined ? undefined : Number(epochOnly[2]))];
  const banner = BANNER.exec(line);
  if (banner) {
    const split = BANNER_SPLIT.exec(banner[1]);
    state.section = split ? (normaliseName(split[1]) as 'val' | 'test') : undefined;
    return [];
  }
  const values: Record<string, number> = {};
  const pos = positionOf(line);
  // The position's own words (`Train: 3 [`, `3epoch:train:1-100batch:`) are no `name: value` pair.
  const { label, tag } = readTagged(pos.text ? line.replace(pos.text, ' ') : line, values);
  if (pos.inEpoch) {
    for (const m of line.matchAll(METER)) {
      const meter = METER_NAMES[m[1].toLowerCase()];
      if (meter) putValue(values, meter, readNumber(m[2]));
    }
  }
  if (pos.step !== undefined && Object.hasOwn(values, STEP_TIME)) {
    putValue(values, 'step_time', values[STEP_TIME]);
    delete values[STEP_TIME];
  }
  // A sentence's last words may read as a pair the rules do not know (`test images: 97.12`): the
  // sentence's reading replaces it.
  const prose = Object.keys(values).some(readsAlone) ? undefined : proseValue(unstamped);
  if (prose) {
    for (const name of Object.keys(values)) delete values[name];
    addPair(values, prose[0], prose[1]);
  }
  const names = Object.keys(values);
  const placed = pos.epoch !== undefined || pos.step !== undefined;
  // A section lasts while lines hold bare values; a line with a position or no values ends it.
  const phase = pos.phase ?? (tag === 'train' ? undefined : tag);
  const meterEval = METER_EVAL.test(line);
  const leading = LEADING_SPLIT.exec(unstamped);
  const split = meterEval
    ? 'val'
    : label
      ? normaliseName(label[1])
      : leading
        ? normaliseName(leading[1].replace(/ing$/i, ''))
        : phase && phase !== 'train'
          ? phase
          : placed
            ? undefined
            : state.section;
  if (placed) state.section = undefined;
  if (names.length === 0 || (!placed && !names.some(readsAlone))) {
    state.section = undefined;
    return undefined;
  }
  const event: MetricsInput = { type: 'metrics', values: split ? withSplit(values, split) : values };
  if (pos.epoch !== undefined) {
    event.epoch = noteEpoch(state, pos.epoch, pos.totalEpochs);
  } else if (state.epoch !== undefined) {
    // Seed 3 and Keras print the epoch on its own line; the metrics after it belong to it.
    event.epoch = state.epoch;
  }
  // An evaluation's own counter (`Iter(val) [10/500]`) is no training step: it was run at the last one.
  if (pos.step !== undefined && (pos.phase === undefined || pos.phase === 'train')) event.step = globalStep(state, pos.step, pos.perEpoch);
  if (event.step !== undefined) state.step = event.step;
  // Values printed after the step lines (an evaluation block) were measured at the last step.
  else if (state.step !== undefined) event.step = state.step;
  return [event as EventInput];
};
