// tqdm progress bars, PyTorch Lightning's among them:
//   `Epoch 3: 100%|███| 391/391 [00:12<00:00, 31.2it/s, loss=0.523, v_num=0]`
//   `Training:  45%|████▌     | 450/1000 [01:23<01:41,  5.42it/s, loss=1.23, lr=0.0003]`
//   `Loss: nan: 100%|███| 50/50 [00:02<00:00, 20.1it/s]` (values in the description)
import type { EventInput } from '../../domain/events.ts';
import { isPositionName, normaliseName } from './names.ts';
import { NOT_NUMBER_WORD, NUM, readNumber } from './numbers.ts';
import { globalStep, metricsHere, noteEpoch, putValue, type LineParser, type LineParseState } from './state.ts';

/**
 * Description, percentage, bar, `n/total`, then `[elapsed<remaining, rate, postfix]`; nothing may
 * follow, not even after a bracket cut short: HF prints its dict there (hf-dict.ts reads it).
 */
const BAR = /^(.*?)\s*\d{1,3}%\|[^|]*\|\s*(\d+)\/(\d+)\s*(?:\[([^\]{]*)\]?)?\s*$/;
/** A number with a fraction or an exponent: a measured value rather than a counter. */
const FRACTIONAL = /\d(?:\.\d|e[-+]?\d)/i;
const EPOCH = /\bepoch\s*[:#]?\s*(\d+)(?:\s*\/\s*(\d+))?/i;
const DESC_PAIR = new RegExp(String.raw`(?<![\w.])${NOT_NUMBER_WORD}([A-Za-z][\w/.\-]*)\s*[:=]\s*(${NUM})(?![\w.])`, 'gi');
const POSTFIX_PAIR = /^\s*([A-Za-z][\w/.\-]*)=(\S+?)\s*$/;
/** `31.2it/s`, `5.42img/s`, `1.23s/it`: tqdm's rate, in the bar's own unit. */
const RATE = new RegExp(String.raw`^\s*(${NUM})\s*(?:([A-Za-z]+)/s|s/([A-Za-z]+))\s*$`, 'i');

/** The values a bar shows: `name: value` in its description, `name=value` and its rate in its postfix. */
function barValues(desc: string, postfix: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const m of desc.matchAll(DESC_PAIR)) {
    const name = normaliseName(m[1]);
    if (!isPositionName(name)) putValue(values, name, readNumber(m[2]));
  }
  let rate: [string, number | undefined] | undefined;
  for (const part of postfix.split(',')) {
    const pair = POSTFIX_PAIR.exec(part);
    if (pair) {
      if (!isPositionName(pair[1])) putValue(values, pair[1], readNumber(pair[2]));
      continue;
    }
    const r = RATE.exec(part);
    if (r) rate = r[2] ? [`${r[2]}/s`, readNumber(r[1])] : [`s/${r[3]}`, readNumber(r[1])];
  }
  // The rate alone is the bar's speed, not a training metric: a bar of only a rate (a data
  // loader, an evaluation loop) gives no point.
  if (rate && Object.keys(values).length > 0) putValue(values, rate[0], rate[1]);
  return values;
}

/**
 * A bar that counts an epoch (Lightning's `Epoch 3:`) redraws running values many times and ends
 * with the epoch's values, validation included: its last update is one point for the epoch.
 * The update is held until its line ends (see releaseFinishedBar) or the next epoch starts.
 */
function epochBar(state: LineParseState, epoch: number, total: number | undefined, finished: boolean, values: Record<string, number>): EventInput[] {
  const events: EventInput[] = [];
  const held = state.epochBar;
  if (held && held.epoch !== epoch) {
    events.push(held.event);
    state.epochBar = undefined;
  }
  noteEpoch(state, epoch, total);
  if (Object.keys(values).length > 0) state.epochBar = { event: metricsHere(state, values, { epoch }), epoch, finished };
  return events;
}

/**
 * A bar without an epoch (`Training:`, `Loss: nan:`) gives a point per update, at its position:
 * counted from the start of training across epochs (or across passes of the same bar, when it
 * starts over), and skipping a redraw of the position just read.
 */
function stepBar(state: LineParseState, desc: string, n: number, total: number, values: Record<string, number>): EventInput[] {
  const last = state.stepBar;
  if (last && last.desc === desc && last.n === n) return [];
  const offset = last && last.desc === desc && n < last.n ? last.offset + total : last?.desc === desc ? last.offset : 0;
  state.stepBar = { desc, n, offset };
  if (Object.keys(values).length === 0) return [];
  const step = state.epoch !== undefined ? globalStep(state, n, total) : offset + n;
  state.step = step;
  return [metricsHere(state, values, { step })];
}

export const parseProgressBar: LineParser = (line, state) => {
  const bar = BAR.exec(line);
  if (!bar) return undefined;
  const desc = bar[1].replace(/[:\s]+$/, '');
  const n = Number(bar[2]);
  const total = Number(bar[3]);
  const values = barValues(desc, bar[4] ?? '');
  const epoch = EPOCH.exec(desc);
  // A description holding values that are not `name: value` pairs (minGPT's `epoch 1 iter 100:
  // train loss 2.12. lr 6e-4:`) is left to the key/value reader rather than read as an empty bar;
  // whole numbers there are counters (`fold 2`), not values.
  if (Object.keys(values).length === 0 && FRACTIONAL.test(desc)) return undefined;
  if (epoch) return epochBar(state, Number(epoch[1]), epoch[2] === undefined ? undefined : Number(epoch[2]), n === total, values);
  return stepBar(state, desc, n, total, values);
};

/** At the end of a physical line: a finished epoch bar is final (a later line is a new redraw). */
export function releaseFinishedBar(state: LineParseState, out: EventInput[]): void {
  if (state.epochBar?.finished) {
    out.push(state.epochBar.event);
    state.epochBar = undefined;
  }
}

/** At the end of the log: the last update of an epoch whose bar never finished. */
export function takeEpochBar(state: LineParseState): EventInput[] {
  const held = state.epochBar;
  state.epochBar = undefined;
  return held ? [held.event] : [];
}
