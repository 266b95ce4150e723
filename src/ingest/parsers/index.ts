// parseLogLine: reads metrics and training events out of one line of a trainer's console output or log file.
import type { EventInput } from '../../domain/events.ts';
import { parseCaffe } from './caffe.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { parseDarknet } from './darknet.ts';
import { parseDetectron2Summary } from './detectron2.ts';
import { parseColumnTable } from './column-table.ts';
import { parseError } from './errors.ts';
import { continueDict, parseHfDict } from './hf-dict.ts';
import { parseKeras } from './keras.ts';
import { parseKeyValue } from './key-value.ts';
import { parseLrChange } from './lr-change.ts';
import { parsePandasSeries, takeSeries } from './pandas.ts';
import { parseProgressBar, releaseFinishedBar, takeEpochBar } from './progress-bar.ts';
import { parseRunConfig } from './run-config.ts';
import { parseSeed3 } from './seed3.ts';
import { createLineState, type LineParser, type LineParseState, type ParsedLine } from './state.ts';
import { parseUltralytics } from './ultralytics.ts';
import { parseWordLanguageModel } from './word-language-model.ts';

export { createLineState, type LineParseState, type ParsedLine } from './state.ts';

/**
 * Most specific formats first: the generic key/value reader would also match most of their lines.
 * Ultralytics rows end with a tqdm bar, so they go before the progress bars.
 */
const PARSERS: LineParser[] = [
  parseRunConfig,
  parseSeed3,
  parseWordLanguageModel,
  parseKeras,
  parseLrChange,
  parseUltralytics,
  parseColumnTable,
  parseProgressBar,
  parseHfDict,
  parseCaffe,
  parseDarknet,
  parseDetectron2Summary,
  parseCheckpoint,
  parseError,
  parseKeyValue,
];

/** Longer lines are data dumps, not log lines; scanning them would only cost time. */
const MAX_LINE = 64 * 1024;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * What a terminal showed on one physical line: a capture keeps every redraw of a progress bar,
 * separated by carriage returns (or backspaces), and a whole run of epochs may sit on one line that way. Each
 * redraw is read in order (a repeated one once); colour codes are dropped.
 */
function redraws(line: string): string[] {
  const text = line.includes('\x1b') ? line.replace(ANSI, '') : line;
  if (!text.includes('\r') && !text.includes('\b')) return [text];
  const out: string[] = [];
  for (const part of text.split(REDRAW)) if (part.trim() !== '' && part !== out[out.length - 1]) out.push(part);
  return out;
}

/** A carriage return, or the run of backspaces Keras prints to rub out its bar on consoles without one. */
const REDRAW = /\r|\x08+/;

/** One redraw through the formats; false when none knows it. */
function parseText(text: string, state: LineParseState, out: EventInput[]): boolean {
  if (state.openDict) {
    const events = continueDict(text, state);
    if (events) {
      for (const e of events) out.push(e);
      return true;
    }
  }
  const series = parsePandasSeries(text, state);
  if (series) {
    for (const e of series) out.push(e);
    return true;
  }
  // A line that is no row of a pandas printout ends the block before it.
  if (state.series) for (const e of takeSeries(state)) out.push(e);
  for (const parse of PARSERS) {
    const events = parse(text, state);
    if (events) {
      for (const e of events) out.push(e);
      return true;
    }
  }
  return false;
}

/** The events in one line; a line no format knows yields none (never an error) and is not `recognised`. */
export function parseLogLine(line: string, state: LineParseState = createLineState()): ParsedLine {
  const events: EventInput[] = [];
  if (line.length > MAX_LINE) return { events, recognised: false };
  let recognised = false;
  for (const text of redraws(line)) {
    if (text.trim() !== '' && parseText(text, state, events)) recognised = true;
  }
  releaseFinishedBar(state, events);
  return { events, recognised };
}

/**
 * What the parse state still holds when a log ends: a pandas block without its footer, the last
 * update of an epoch whose progress bar never finished (a run that died mid-epoch).
 */
export function flushLogState(state: LineParseState): EventInput[] {
  return [...takeSeries(state), ...takeEpochBar(state)];
}
