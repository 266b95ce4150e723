// pandas Series printouts, e.g. `print(history.iloc[-1])`: one `name   value` row per metric, then a footer.
//   loss        0.3512
//   val_loss    0.4123
//   Name: 12, dtype: float64
import type { EventInput } from '../../domain/events.ts';
import { isPositionName } from './names.ts';
import { NOT_NUMBER_WORD, NUM, readNumber } from './numbers.ts';
import { metricsHere, putValue, type LineParser, type LineParseState } from './state.ts';
import { setOwn } from '../../domain/own.ts';

/** A whole line of one name, two or more spaces, one number: pandas aligns its columns so. */
const ROW = new RegExp(String.raw`^\s*${NOT_NUMBER_WORD}([A-Za-z_][\w/.\-@]*|\d+%)\s{2,}(${NUM})\s*$`, 'i');
const FOOTER = /^\s*(?:Name:\s*[^,]*,\s*)?dtype:\s*\w+\s*$/;
/** `Series.describe()` rows (count, mean, std, min, 25%, ...): statistics of one column, not metrics. */
const STATISTICS = /^(?:count|mean|std|min|max|\d+%)$/;

/**
 * Rows gather in the parse state and the footer makes them one metrics point. A row whose name
 * the block already holds starts a new block: a log that prints `loss   0.35` once per step is a
 * series of points, not one.
 */
export const parsePandasSeries: LineParser = (line, state) => {
  const row = ROW.exec(line);
  if (row) {
    const value = readNumber(row[2]);
    if (value === undefined) return undefined;
    const events = state.series && Object.hasOwn(state.series, row[1]) ? takeSeries(state) : [];
    putValue((state.series ??= {}), row[1], value);
    return events;
  }
  if (FOOTER.test(line)) return takeSeries(state);
  return undefined;
};

/** The rows gathered so far as one point (the block ended: a footer, another kind of line, the end of the log). */
export function takeSeries(state: LineParseState): EventInput[] {
  const rows = state.series;
  state.series = undefined;
  if (!rows) return [];
  const values: Record<string, number> = {};
  const at: { epoch?: number; step?: number } = {};
  for (const [name, value] of Object.entries(rows)) {
    const lower = name.toLowerCase();
    if (lower === 'epoch') {
      if (Number.isFinite(value) && value >= 0) at.epoch = value;
    }
    else if (isPositionName(lower)) {
      if (lower.endsWith('step') && Number.isInteger(value) && value >= 0) at.step = value;
    } else if (!STATISTICS.test(lower)) setOwn(values, name, value);
  }
  if (Object.keys(values).length === 0) return [];
  return [metricsHere(state, values, at)];
}
