// Number and value formatting shared by prompts and the offline narrator: short, exact enough, stable.
import { formatNumber } from '../domain/format.ts';

/** Numbers in prompts and answers: four significant digits, one more than findings use. */
export const fmt = (n: number | null | undefined): string => formatNumber(n, 4);

/** Rounds to `digits` significant digits, for proposed hyperparameter values a person would type. */
export function roundSig(n: number, digits = 2): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  return Number(n.toPrecision(digits));
}
