// Number and value formatting shared by prompts and the offline narrator: short, exact enough, stable.
import { formatNumber } from '../domain/format.ts';

/** Numbers in prompts and answers: four significant digits, one more than findings use. */
export const fmt = (n: number | null | undefined): string => formatNumber(n, 4);

/** Rounds to `digits` significant digits, for proposed hyperparameter values a person would type. */
export function roundSig(n: number, digits = 2): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  return Number(n.toPrecision(digits));
}

/** Flattens a nested config into dotted keys: {optimizer: {lr: 1}} → {'optimizer.lr': 1}. */
export function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 4) flatten(v as Record<string, unknown>, key, out, depth + 1);
    else out[key] = v;
  }
  return out;
}
