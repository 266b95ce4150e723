// Axes of a chart: the mapping of data to pixels, and tick values a person reads at a glance.
import { formatNumber } from '../../domain/format.ts';

export interface Scale {
  /** Data value to pixel. */
  at(v: number): number;
  ticks: Array<{ value: number; label: string }>;
  log: boolean;
}

/** Roughly how many ticks an axis of this many pixels carries without crowding its labels. */
export function tickCount(pixels: number, labelPixels: number): number {
  return Math.max(2, Math.floor(pixels / labelPixels));
}

/** Steps of 1, 2 or 5 times a power of ten, the nearest to `count` ticks: the spacings people count in. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

/** A domain with some room, so a flat series (every value equal) still spans an axis. */
function padded(lo: number, hi: number): [number, number] {
  if (hi > lo) return [lo, hi];
  const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - d, hi + d];
}

/**
 * A linear axis over [lo, hi] extended to whole ticks, mapped onto [from, to] pixels (to < from
 * for a y axis, which grows upwards).
 */
export function linearScale(lo: number, hi: number, from: number, to: number, count: number, snug = false): Scale {
  const [a, b] = padded(lo, hi);
  const step = niceStep(b - a, count);
  const first = Math.ceil(a / step - 1e-9) * step;
  // A snug axis (x: steps, epochs) ends where the data ends; a y axis is extended to whole ticks.
  const start = snug ? a : Math.floor(a / step) * step;
  const end = snug ? b : Math.ceil(b / step) * step;
  // Counted, not added up, so rounding never drops the last tick or adds one past the end.
  const n = Math.floor((end - (snug ? first : start)) / step + 1e-9);
  const values = Array.from({ length: n + 1 }, (_, k) => Number(((snug ? first : start) + k * step).toPrecision(12)));
  const label = tickLabeller(values, step);
  const ticks = values.map((value) => ({ value, label: label(value) }));
  const at = (v: number) => from + ((v - start) / (end - start)) * (to - from);
  return { at, ticks, log: false };
}

/** A log axis over positive [lo, hi], from power of ten to power of ten; ticks thinned to fit `count`. */
export function logScale(lo: number, hi: number, from: number, to: number, count: number): Scale {
  let e0 = Math.floor(Math.log10(lo));
  let e1 = Math.ceil(Math.log10(hi));
  if (e1 === e0) {
    e0 -= 1;
    e1 += 1;
  }
  const every = Math.max(1, Math.ceil((e1 - e0) / count));
  const ticks: Scale['ticks'] = [];
  // Over a few decades, 2 and 5 between the powers tell values apart; over many they would crowd.
  const between = e1 - e0 <= 2 && count >= 3 * (e1 - e0) ? [2, 5] : [];
  for (let e = e0; e <= e1; e += every) {
    ticks.push({ value: 10 ** e, label: powerLabel(e) });
    if (e < e1) for (const m of between) ticks.push({ value: m * 10 ** e, label: formatNumber(m * 10 ** e) });
  }
  const at = (v: number) => from + ((Math.log10(v) - e0) / (e1 - e0)) * (to - from);
  return { at, ticks, log: true };
}

function powerLabel(e: number): string {
  return e >= -2 && e <= 3 ? formatNumber(10 ** e) : `1e${e}`;
}

/**
 * One notation for every tick of an axis (0.0009 next to 0.001 reads wrong as 9e-4): exponent
 * form when the largest tick is tiny or huge, else as many decimals as the step needs, so
 * neighbouring ticks never read the same.
 */
function tickLabeller(values: number[], step: number): (v: number) => string {
  const top = Math.max(...values.map(Math.abs));
  if (top >= 1e5 || top < 1e-3) {
    const digits = Math.max(0, Math.min(3, Math.floor(Math.log10(top)) - Math.floor(Math.log10(step))));
    return (v) => (v === 0 ? '0' : v.toExponential(digits).replace(/\.?0+e/, 'e'));
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return (v) => (v === 0 ? '0' : v.toFixed(decimals));
}
