/**
 * Numbers the way a person reads them in a finding, a prompt or an answer: a few significant
 * digits, whole numbers as they are, exponent form when tiny or huge, NaN and inf spelled out.
 */
export function formatNumber(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined) return '?';
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (Number.isInteger(n) && a < 1e7) return String(n);
  if (a >= 1e5 || a < 1e-3) return n.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(digits)));
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
