// Axis labels that fit: short tick numbers, axes as wide as their longest label, colours from the page's theme.

/** A tick as short as it can be read: 1e-4, 2.5e-4, 0.35, 12000, 1.2e6. */
export function tickLabel(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return Number(v.toPrecision(4)).toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** uPlot passes null for ticks its log-axis filter hides; those stay unlabelled. */
export const tickLabels = (_u, ticks) => ticks.map((v) => (v === null ? null : tickLabel(v)));

/**
 * uPlot's `size` for a y axis: measured from the labels it is about to draw, so `1.25e-4` is never
 * cut to `.25e-4` whatever the scale. uPlot calls it again with cycleNum > 1 while it settles.
 */
export function fitAxis(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let size = axis.ticks.size + axis.gap;
  const longest = (values ?? []).reduce((acc, v) => (v !== null && String(v).length > acc.length ? String(v) : acc), '');
  if (longest) {
    u.ctx.font = axis.font[0];
    size += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.ceil(size) + 4;
}

/** The colours the page shows now (light or dark): tick labels readable on either background. */
export function theme(el) {
  const style = getComputedStyle(el);
  const v = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return { text: v('--muted', '#667085'), grid: v('--line', '#e3e6ea'), card: v('--card', '#fff'), fg: v('--fg', '#1f2328') };
}

/** Calls `onChange` when the system switches between light and dark; returns what stops listening. */
export function onThemeChange(onChange) {
  const query = matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

/** On a log or asinh axis, grid lines and ticks at 0 and the powers of ten only: nine lines a decade read as a grey band. */
export const decades = (_u, splits) => splits.map((v) => (v === 0 || /^-?1e/.test(v.toExponential()) ? v : null));
