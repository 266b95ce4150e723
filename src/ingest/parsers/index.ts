// parseLogLine: reads metrics and training events out of one line of a trainer's console output or log file.
import { parseCaffe } from './caffe.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { parseError } from './errors.ts';
import { parseHfDict } from './hf-dict.ts';
import { parseKeras } from './keras.ts';
import { parseKeyValue } from './key-value.ts';
import { parseLightningBar } from './lightning.ts';
import { parseRunConfig } from './run-config.ts';
import { parseSeed3 } from './seed3.ts';
import { createLineState, type LineParser, type LineParseState, type ParsedLine } from './state.ts';
import { parseUltralytics } from './ultralytics.ts';
import { parseWordLanguageModel } from './word-language-model.ts';

export { createLineState, type LineParseState, type ParsedLine } from './state.ts';

/** Most specific formats first: the generic key/value reader would also match most of their lines. */
const PARSERS: LineParser[] = [
  parseRunConfig,
  parseSeed3,
  parseWordLanguageModel,
  parseKeras,
  parseLightningBar,
  parseUltralytics,
  parseHfDict,
  parseCaffe,
  parseCheckpoint,
  parseError,
  parseKeyValue,
];

/** Longer lines are data dumps, not log lines; scanning them would only cost time. */
const MAX_LINE = 64 * 1024;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * A terminal capture keeps every redraw of a progress bar, separated by carriage returns; what
 * the person saw is the last one.
 */
function visibleText(line: string): string {
  let text = line.includes('\x1b') ? line.replace(ANSI, '') : line;
  if (text.includes('\r')) {
    const parts = text.split('\r').filter((p) => p.trim() !== '');
    text = parts[parts.length - 1] ?? '';
  }
  return text;
}

/** The events in one line; a line no format knows yields none (never an error). */
export function parseLogLine(line: string, state: LineParseState = createLineState()): ParsedLine {
  if (line.length > MAX_LINE) return { events: [] };
  const text = visibleText(line);
  if (text.trim() === '') return { events: [] };
  for (const parse of PARSERS) {
    const events = parse(text, state);
    if (events) return { events };
  }
  return { events: [] };
}
