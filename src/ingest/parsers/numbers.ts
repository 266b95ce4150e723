// Number tokens as training logs print them: 1e-4, 82.45%, nan, -inf, Infinity.
import { parseMetricValue } from '../../domain/values.ts';

/** Regex source of one number token (used with the `i` flag for NaN / Infinity spellings). */
export const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|nan|inf(?:inity)?)`;

/**
 * Regex source that refuses a number word where a name starts: in `Loss: nan: 100%|`, nan is the
 * loss's value, never a metric named nan.
 */
export const NOT_NUMBER_WORD = String.raw`(?![-+]?(?:nan|inf(?:inity)?)\b)`;

/** A number token's value; the percent sign is dropped (the alias table normalises percent accuracies). */
export function readNumber(token: string): number | undefined {
  return parseMetricValue(token.endsWith('%') ? token.slice(0, -1) : token);
}

/** Dates and clock times, which every logger prints and which measure nothing. */
const CLOCK = /\d{4}[-/]\d\d[-/]\d\d|\d\d?:\d\d(?::\d\d)?(?:[.,]\d+)?/g;
/** A measurement: a fraction, an exponent or a non-finite word, not part of a version (1.2.3) or an identifier. */
const MEASUREMENT = /(?<![\w.])[-+]?(?:\d+\.\d+|\d+(?:\.\d+)?e[-+]?\d+|\.\d+)(?![\d.])|\b(?:nan|inf|infinity)\b/i;

/**
 * Whether a line holds a number that may be a metric value, so that a line no format reads is
 * reported rather than dropped without a word. Whole numbers alone (`Saving 3 files`, `Epoch 4`)
 * do not count: values of losses and rates have fractions.
 */
export function bearsNumbers(line: string): boolean {
  return MEASUREMENT.test(line.includes(':') || line.includes('-') ? line.replace(CLOCK, ' ') : line);
}
