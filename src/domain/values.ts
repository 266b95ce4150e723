import { z } from 'zod';
import { describeValue } from './json-value.ts';
import { setOwn, table } from './own.ts';

/**
 * Metric values as trainers send them. Non-finite numbers are data, not errors: a NaN loss is the
 * first thing a user wants to hear about, so `null`, "NaN", "inf", "-Infinity", ... are all kept.
 * JSON has no NaN or Infinity, so they travel as the strings "NaN", "Infinity", "-Infinity".
 */
const NON_FINITE: Record<string, number> = table({
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  infinity: Infinity,
  '+infinity': Infinity,
  inf: Infinity,
  '+inf': Infinity,
  '-infinity': -Infinity,
  '-inf': -Infinity,
});

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

/** A value as the schemas read it: strings longer than any number are refused without parsing. */
export function readValue(raw: unknown): number | undefined {
  return typeof raw === 'number' ? raw : typeof raw === 'string' && raw.length > 64 ? undefined : parseMetricValue(raw);
}

/**
 * One transform instead of a union of four schemas: this runs for every value of every batch,
 * and trying each member of a union costs several times more (see `npm run bench`).
 */
export const MetricValue = z.any().transform((raw, ctx) => {
  const n = readValue(raw);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a number: ${describeValue(raw)}` });
    return z.NEVER;
  }
  return n;
}) as unknown as z.ZodType<number, number | string | boolean | null>;

/** A number ready for JSON: non-finite values become the strings "NaN", "Infinity", "-Infinity". */
export function encodeNumber(n: number): number | string {
  if (Number.isFinite(n)) return n;
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? 'Infinity' : '-Infinity';
}

const keepNonFinite = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? encodeNumber(v) : v);

/** JSON.stringify that keeps non-finite numbers as strings instead of turning them into null. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, keepNonFinite);
}

/**
 * The same for a map of metric values, the hot path of ingest: a replacer function costs a call
 * per key, so it is used only when a non-finite value is actually present.
 */
export function stringifyWithValues(body: { values: Record<string, unknown> }): string {
  for (const k in body.values) if (!Number.isFinite(body.values[k] as number)) return JSON.stringify(body, keepNonFinite);
  return JSON.stringify(body);
}

/** Any stored event as JSON, taking the fast path for metrics events. */
export function stringifyEvent(e: { type: string; values?: Record<string, unknown> }): string {
  return e.type === 'metrics' && e.values ? stringifyWithValues(e as { values: Record<string, unknown> }) : stringifyJson(e);
}

/** An object's JSON (as stringifyJson) without its closing brace, so a streamed answer can add members after it. */
export function stringifyOpen(value: object): string {
  return stringifyJson(value).slice(0, -1);
}

const ENCODED: Record<string, number> = table({ NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity });

/**
 * Reads back a record written by stringifyJson: "NaN" / "Infinity" / "-Infinity" become numbers
 * again; everything else (names, null, flags) stays as it was.
 */
export function decodeNonFinite<T extends Record<string, unknown>>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) setOwn(out, k, typeof v === 'string' && v in ENCODED ? ENCODED[v] : v);
  return out as T;
}
