// Free-form JSON fields (run config and meta): any shape, but no deeper than a person writes one.
import { z } from 'zod';

/** Far deeper than any real config, and far below where JSON.stringify runs out of stack. */
export const MAX_JSON_DEPTH = 64;

/** Walked without recursion, so a hostile value cannot overflow the stack here either. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A `{name: any JSON}` object; one nested past the limit would fail only when stored, as a 500. */
export const JsonObject = z
  .record(z.string(), z.unknown())
  .refine((v) => !deeperThan(v, MAX_JSON_DEPTH), `nested deeper than ${MAX_JSON_DEPTH} levels`);

/** A value for an error message: short, and never a walk through a nested structure. */
export function describeValue(raw: unknown): string {
  if (Array.isArray(raw)) return 'an array';
  if (typeof raw === 'object' && raw !== null) return 'an object';
  return String(JSON.stringify(raw)).slice(0, 80);
}
