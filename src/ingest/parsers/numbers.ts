// Number tokens as training logs print them: 1e-4, 82.45%, nan, -inf, Infinity.
import { parseMetricValue } from '../../domain/values.ts';

/** Regex source of one number token (used with the `i` flag for NaN / Infinity spellings). */
export const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|nan|inf(?:inity)?)`;

/** A number token's value; the percent sign is dropped (the alias table normalises percent accuracies). */
export function readNumber(token: string): number | undefined {
  return parseMetricValue(token.endsWith('%') ? token.slice(0, -1) : token);
}
