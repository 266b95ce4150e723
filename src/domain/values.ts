import { z } from 'zod';

/**
 * Metric values as trainers send them. Non-finite numbers are data, not errors: a NaN loss is the
 * first thing a user wants to hear about, so `null`, "NaN", "inf", "-Infinity", ... are all kept.
 * JSON has no NaN or Infinity, so they travel as the strings "NaN", "Infinity", "-Infinity".
 */
const NON_FINITE: Record<string, number> = {
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  infinity: Infinity,
  '+infinity': Infinity,
  inf: Infinity,
  '+inf': Infinity,
  '-infinity': -Infinity,
  '-inf': -Infinity,
};

/** Reads a value the way a trainer might have written it; undefined when it is not a number. */
export function parseMetricValue(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (raw === null) return NaN;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  const special = NON_FINITE[text.toLowerCase()];
  if (special !== undefined) return special;
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

export const MetricValue = z
  .union([z.number(), z.null(), z.string().max(64), z.boolean()])
  .transform((raw, ctx) => {
    const n = parseMetricValue(raw);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a number: ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return n;
  });

/** A number ready for JSON: non-finite values become the strings "NaN", "Infinity", "-Infinity". */
export function encodeNumber(n: number): number | string {
  if (Number.isFinite(n)) return n;
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? 'Infinity' : '-Infinity';
}

/** JSON.stringify that keeps non-finite numbers as strings instead of turning them into null. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? encodeNumber(v) : v));
}

/** Map of metric name to value with non-finite values decoded; used when reading stored JSON. */
export function decodeValues(values: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) {
    const n = parseMetricValue(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
}
