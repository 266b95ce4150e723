// Line charts on uPlot: named series of {step, epoch, ts, value} points, redrawn at most once a frame.
import uPlot from './vendor/uplot.js';
import { decades, fitAxis, onThemeChange, theme, tickLabels } from './chart-axes.js';
import { MarkerLayer } from './chart-markers.js';
import { attachZoom } from './chart-zoom.js';
import { h } from './dom.js';
import { num, toNumber } from './format.js';
import { RunAxis } from './run-axis.js';
import { seriesColor } from './series-colors.js';
import { smooth } from './smoothing.js';

/** Points kept per series: a page left open for days must not grow without bound. */
const MAX_POINTS = 5000;
const HEIGHT = 200;
/** Steps and epochs are counted: ticks at 2.5 epochs or step 12.5 would read as nonsense. */
const WHOLE_INCRS = Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
/** The raw curve behind a smoothed one: there to see the noise, faint enough not to be read as the curve. */
const RAW_ALPHA = 0.25;
/** A series this sparse (pixels per point) shows its points: a single value is a dot, not nothing. */
const POINT_SPACING_PX = 16;
/** Clipping outliers keeps this central share of the values on the y axis. */
const CLIP_QUANTILES = [0.02, 0.98];
/** After a zoom or pan, the range is fetched in detail once the reader pauses this long. */
const RANGE_DEBOUNCE_MS = 200;

export const X_MODES = ['step', 'epoch', 'relative', 'wall'];
const X_LABEL = { step: 'step', epoch: 'epoch', relative: 'seconds from start', wall: '' };
export const DEFAULT_SETTINGS = { x: 'step', smoothing: 0, log: false, clip: false };

const keyOf = (p) => `${p.step}|${p.epoch}|${p.ts}`;
const finiteOrGap = (y) => (Number.isFinite(y) ? y : null);

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))];
}

export class LineChart {
  /**
   * `settings`: `{x, smoothing, log, clip}` shared by a page's charts (DEFAULT_SETTINGS alone);
   * `relativeTime`: without steps or epochs, seconds since each run began rather than the clock;
   * `onRange(range)`: the reader zoomed to `{mode, min, max}` (null: back to everything), for the
   * caller to fetch that range in detail; `onFinding(id)`: a finding marker was clicked;
   * `actions`: elements added to the chart's header (pin, hide).
   */
  constructor(container, { title, relativeTime = false, empty = 'no data yet', settings = DEFAULT_SETTINGS, onRange = null, onFinding = null, actions = [] }) {
    this.container = container;
    this.title = title;
    this.relativeTime = relativeTime;
    this.settings = settings;
    this.onRange = onRange;
    this.series = new Map();
    this.findings = [];
    this.plot = null;
    this.shape = '';
    this.frame = 0;
    this.emptyText = empty;
    this.log = settings.log;
    this.clip = settings.clip;
    this.zoomed = false;
    this.rangeTimer = 0;
    this.markers = new MarkerLayer(onFinding);
    this.plotBox = h('div', { class: 'chart-plot' });
    const button = (cls, label, tip, onclick) => h('button', { type: 'button', class: `chart-btn ${cls}`, title: tip, onclick }, label);
    // Losses span decades: on a log axis a slow late descent or an early blow-up stays readable.
    this.logButton = button('log-toggle', 'log y', 'logarithmic y axis (values at or under 0 on a symmetric log scale)', () => this.setLog(!this.log));
    this.clipButton = button('clip-toggle', 'clip', 'clip outliers: keep the y axis to the central 96% of the values', () => this.setClip(!this.clip));
    this.resetButton = button('zoom-reset', 'reset', 'back to the whole run (or double-click the chart)', () => this.resetZoom());
    this.resetButton.hidden = true;
    const png = button('png', 'PNG', 'download this chart as a PNG image', () => this.download());
    this.head = h('div', { class: 'chart-head' }, h('span', { class: 'chart-title' }, title), h('span', { class: 'chart-tools' }, actions, this.resetButton, this.clipButton, this.logButton, png));
    container.append(this.head, this.plotBox);
    this.syncButtons();
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT }));
    this.resize.observe(container);
    this.stopTheme = onThemeChange(() => this.rebuild());
    container.addEventListener('dblclick', () => this.resetZoom());
    this.schedule();
  }

  width() {
    return Math.max(200, this.plotBox.clientWidth || this.container.clientWidth - 16);
  }

  /**
   * Replaces a series' points (history as loaded). `opts`: `axis` (the run's RunAxis; each
   * series gets its own without one), `split` and `color` (else the split's colour), `level`.
   */
  set(name, points, label = name, opts = {}) {
    const s = this.ensure(name, label, opts);
    s.points.clear();
    s.detail = null;
    for (const p of points) s.points.set(keyOf(p), p);
    s.axis.learn(points);
    this.schedule();
  }

  /** Adds one live point; one already known (a replayed event) replaces itself. */
  add(name, point, label = name, opts = {}) {
    const s = this.ensure(name, label, opts);
    s.points.set(keyOf(point), point);
    s.axis.learn([point]);
    if (s.points.size > MAX_POINTS) thin(s.points);
    this.schedule();
  }

  /**
   * The steps an x range of `mode` spans in these series' overview points, one point beyond each
   * end so the range's edges are read too; null when none of their points carries a step.
   */
  stepsWithin(names, { mode, min, max }) {
    let from = Infinity;
    let to = -Infinity;
    for (const name of names) {
      const s = this.series.get(name);
      if (!s) continue;
      let before = -Infinity;
      let after = Infinity;
      for (const p of s.points.values()) {
        const x = p.step === null || p.step === undefined ? null : s.axis.x(p, mode);
        if (x === null) continue;
        if (x < min) before = Math.max(before, p.step);
        else if (x > max) after = Math.min(after, p.step);
        else {
          from = Math.min(from, p.step);
          to = Math.max(to, p.step);
        }
      }
      if (before > -Infinity) from = Math.min(from, before);
      if (after < Infinity) to = Math.max(to, after);
    }
    return from <= to ? [from, to] : null;
  }

  /** The points of a zoomed range, in more detail than the overview: drawn inside `[min, max]` (x as `mode`) until the zoom is reset. */
  setDetail(name, points, { mode, min, max }) {
    const s = this.series.get(name);
    if (!s || !this.zoomed) return;
    s.detail = { mode, min, max, points };
    this.schedule();
  }

  ensure(name, label, opts) {
    let s = this.series.get(name);
    if (!s) {
      s = { label, points: new Map(), detail: null, axis: opts.axis ?? new RunAxis(), split: opts.split ?? null, color: opts.color ?? null, level: opts.level ?? null };
      this.series.set(name, s);
    }
    return s;
  }

  has(name) {
    return this.series.has(name);
  }

  pointCount() {
    let n = 0;
    for (const s of this.series.values()) n += s.points.size;
    return n;
  }

  /** Findings to mark where they began: `{id, kind, severity, step, epoch, created_at, axis?}`, placed on `axis` (their run's) or the first series' run. */
  setFindings(findings) {
    this.findings = findings;
    this.schedule();
  }

  setLog(on) {
    this.log = on;
    this.rebuild();
  }

  setClip(on) {
    this.clip = on;
    this.rebuild();
  }

  /** The page's settings changed (x axis, smoothing, log, clip for all charts). */
  applySettings(settings) {
    const zoomLost = settings.x !== this.settings.x;
    // A chart's own log or clip choice stands until the page-wide one changes.
    if (settings.log !== this.settings.log) this.log = settings.log;
    if (settings.clip !== this.settings.clip) this.clip = settings.clip;
    this.settings = settings;
    if (zoomLost) this.resetZoom();
    this.rebuild();
  }

  syncButtons() {
    this.logButton.classList.toggle('on', this.log);
    this.clipButton.classList.toggle('on', this.clip);
    this.resetButton.hidden = !this.zoomed;
    this.container.classList.toggle('zoomed', this.zoomed);
  }

  rebuild() {
    this.destroyPlot();
    this.syncButtons();
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  /** The x axis asked for if any point can be placed on it, else step, epoch, then time. */
  mode(series) {
    const time = this.relativeTime ? 'relative' : 'wall';
    const wanted = this.settings.x;
    const order = [wanted, 'step', 'epoch', wanted === 'wall' ? 'wall' : time];
    for (const mode of order) {
      if (mode === 'relative' || mode === 'wall') return mode;
      for (const s of series) {
        const first = s.points.values().next().value;
        if (first && s.axis.x(first, mode) !== null) return mode;
      }
    }
    return time;
  }

  draw() {
    const series = [...this.series.values()].filter((s) => s.points.size);
    this.container.dataset.points = String(this.pointCount());
    if (!series.length) {
      this.destroyPlot();
      this.plotBox.replaceChildren(h('p', { class: 'empty' }, `${this.title}: ${this.emptyText}`));
      return;
    }
    const mode = this.mode(series);
    const smoothing = this.settings.smoothing;
    const { data, columns, nonfinite, values } = align(series, mode, smoothing);
    const distr = this.log ? (values.length && values[0] > 0 ? 3 : 4) : 1;
    this.clipRange = this.clip && values.length > 4 ? clipRange(values) : null;
    this.counts = columns.map((c) => c.count);
    const marks = [...nonfinite, ...this.findingMarks(series[0].axis, mode)];
    this.markers.set(marks);
    this.container.dataset.mode = mode;
    this.container.dataset.detailPoints = String(series.reduce((n, s) => n + (s.detail?.mode === mode ? s.detail.points.length : 0), 0));
    this.container.dataset.nonfinite = String(nonfinite.length);
    const shape = `${mode}|${distr}|${columns.map((c) => `${c.label}:${c.raw}`).join('\u0000')}`;
    if (this.plot && shape === this.shape) {
      // A reader who zoomed in keeps the zoom while points arrive; reset or double-click zooms back out.
      this.plot.setData(data, !this.zoomed);
      return;
    }
    this.destroyPlot();
    this.plotBox.replaceChildren();
    this.shape = shape;
    this.plot = this.create(mode, distr, columns, data, values);
    this.stopZoom = attachZoom(this.plot, this.plotBox, () => this.userZoomed());
  }

  create(mode, distr, columns, data, values) {
    const colors = theme(this.container);
    const time = mode === 'wall';
    const axis = { stroke: colors.text, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
    const linthresh = distr === 4 ? asinhThreshold(values) : undefined;
    const y = distr === 1 ? { range: (_u, min, max) => this.clipRange ?? uPlot.rangeNum(min, max, 0.1, true) } : { distr, log: 10, asinh: linthresh };
    const value = (_u, v) => (v === null || v === undefined ? '—' : num(v));
    return new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        scales: { x: { time }, y },
        axes: [
          time ? { ...axis, label: '' } : { ...axis, label: X_LABEL[mode], incrs: mode === 'relative' ? undefined : WHOLE_INCRS, values: tickLabels },
          distr === 1 ? { ...axis, values: tickLabels, size: fitAxis } : { ...axis, grid: { ...axis.grid, filter: decades }, ticks: { ...axis.ticks, filter: decades }, values: tickLabels, size: fitAxis },
        ],
        series: [
          { label: X_LABEL[mode] || 'time', value: time ? undefined : value },
          ...columns.map((c, i) => ({
            label: c.raw ? `${c.label} (raw)` : c.label,
            stroke: c.color,
            width: c.raw ? 1 : 1.5,
            alpha: c.raw ? RAW_ALPHA : 1,
            dash: c.dash,
            value,
            points: { show: (u) => !c.raw && this.counts[i] * POINT_SPACING_PX <= u.over.clientWidth, size: 6, fill: c.color, stroke: c.color },
          })),
        ],
        // The selection zooms here rather than in uPlot, so that a zoom the reader made is told apart from a redraw.
        cursor: { drag: { x: true, y: false, setScale: false } },
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width <= 0) return;
              u.setScale('x', { min: u.posToVal(u.select.left, 'x'), max: u.posToVal(u.select.left + u.select.width, 'x') });
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              this.userZoomed();
            },
          ],
          draw: [
            (u) => {
              this.markers.place(u);
              this.container.dataset.drawn = '1';
              this.container.dispatchEvent(new CustomEvent('chart-drawn', { bubbles: true }));
            },
          ],
        },
      },
      data,
      this.plotBox,
    );
  }

  findingMarks(axis, mode) {
    const out = [];
    for (const f of this.findings) {
      const on = f.axis ?? axis;
      let x = on.x({ step: f.step, epoch: f.epoch }, mode);
      if (x === null && (mode === 'relative' || mode === 'wall')) x = on.x({ ts: f.created_at }, mode);
      if (x === null) continue;
      const kind = f.kind.replaceAll('_', ' ');
      out.push({ kind: 'finding', x, id: f.id, severity: f.severity, status: f.status, short: f.severity === 'critical' ? '!!' : f.severity === 'warning' ? '!' : 'i', label: `${kind} (${f.severity}) since ${f.step !== null ? `step ${num(f.step)}` : `epoch ${num(f.epoch)}`}` });
    }
    return out;
  }

  userZoomed() {
    this.zoomed = true;
    this.syncButtons();
    if (!this.onRange) return;
    clearTimeout(this.rangeTimer);
    this.rangeTimer = setTimeout(() => {
      const { min, max } = this.plot?.scales.x ?? {};
      if (this.zoomed && Number.isFinite(min) && Number.isFinite(max)) this.onRange({ mode: this.container.dataset.mode, min, max });
    }, RANGE_DEBOUNCE_MS);
  }

  resetZoom() {
    clearTimeout(this.rangeTimer);
    const was = this.zoomed;
    this.zoomed = false;
    for (const s of this.series.values()) s.detail = null;
    this.syncButtons();
    if (was) this.onRange?.(null);
    if (this.plot) {
      this.destroyPlot();
      this.schedule();
    }
  }

  /** The chart as a PNG: its title and legend above the plot, on the page's background. */
  toPng() {
    if (!this.plot) return null;
    const src = this.plot.ctx.canvas;
    const ratio = src.width / this.plot.width;
    const head = 28 * ratio;
    const canvas = document.createElement('canvas');
    canvas.width = src.width;
    canvas.height = src.height + head;
    const ctx = canvas.getContext('2d');
    const colors = theme(this.container);
    ctx.fillStyle = colors.card;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.font = `600 ${13 * ratio}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = colors.fg;
    ctx.fillText(this.title, 8 * ratio, head / 2);
    let x = 16 * ratio + ctx.measureText(this.title).width;
    ctx.font = `${11 * ratio}px system-ui, sans-serif`;
    for (const s of this.plot.series.slice(1)) {
      if (s.alpha < 1) continue;
      ctx.fillStyle = s._stroke ?? colors.fg;
      ctx.fillRect(x, head / 2 - 2 * ratio, 10 * ratio, 4 * ratio);
      ctx.fillStyle = colors.fg;
      ctx.fillText(s.label, x + 14 * ratio, head / 2);
      x += 24 * ratio + ctx.measureText(s.label).width;
    }
    ctx.drawImage(src, 0, head);
    return canvas.toDataURL('image/png');
  }

  download() {
    const url = this.toPng();
    if (!url) return;
    const a = h('a', { href: url, download: `${this.title.replace(/[^\w.-]+/g, '_')}.png` });
    document.body.append(a);
    a.click();
    a.remove();
  }

  destroyPlot() {
    this.stopZoom?.();
    this.stopZoom = null;
    this.plot?.destroy();
    this.plot = null;
    this.shape = '';
  }

  dispose() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.rangeTimer);
    this.resize.disconnect();
    this.stopTheme();
    this.destroyPlot();
  }
}

/** The points a series draws: its overview, with a zoomed range's detail in place of the overview's points there. */
function pointsOf(s, mode) {
  const all = [...s.points.values()];
  const d = s.detail;
  if (!d || d.mode !== mode) return all;
  const outside = all.filter((p) => {
    const x = s.axis.x(p, mode);
    return x === null || x < d.min || x > d.max;
  });
  return [...outside, ...d.points];
}

/**
 * uPlot wants one shared x array: the union of every series' x, each series holding its value
 * there or `undefined` (spanned over). A non-finite value becomes `null` (a gap) and a marker.
 * With smoothing, each series is drawn twice: faint raw, then smoothed over its own points.
 * `values`: every finite value, sorted, for the y axis's log and clip choices.
 */
function align(series, mode, smoothing) {
  const mixed = new Set(series.map((s) => s.level)).size > 1;
  const nonfinite = [];
  const values = [];
  const perSeries = series.map((s) => {
    const pts = [];
    for (const p of pointsOf(s, mode)) {
      const x = s.axis.x(p, mode);
      if (x === null) continue;
      const y = toNumber(p.value);
      pts.push([x, y]);
      if (Number.isFinite(y)) values.push(y);
      else nonfinite.push({ kind: 'nonfinite', x, label: `${s.label}: ${num(y)} at ${mode === 'wall' ? new Date(x * 1000).toLocaleString() : `${X_LABEL[mode]} ${num(x)}`}` });
    }
    pts.sort((a, b) => a[0] - b[0]);
    return pts;
  });
  values.sort((a, b) => a - b);
  const xs = [...new Set(perSeries.flatMap((pts) => pts.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = [];
  const ys = [];
  series.forEach((s, k) => {
    const pts = perSeries[k];
    const color = s.color ?? seriesColor(s.label, s.split);
    // Epoch-level values beside step-level ones are dashed: the same quantity, read less often.
    const dash = mixed && s.level === 'epoch' ? [6, 4] : undefined;
    const raw = pts.map((p) => finiteOrGap(p[1]));
    const layers = smoothing > 0 ? [[raw, true], [smooth(raw, smoothing), false]] : [[raw, false]];
    for (const [vals, isRaw] of layers) {
      const col = new Array(xs.length).fill(undefined);
      pts.forEach((p, i) => (col[index.get(p[0])] = vals[i]));
      ys.push(col);
      columns.push({ label: s.label, color, dash, raw: isRaw, count: pts.length });
    }
  });
  return { data: [xs, ...ys], columns, nonfinite, values };
}

/** The central share of the values, with a margin, as the y range: one spike no longer flattens the curve. */
function clipRange(sorted) {
  const lo = quantile(sorted, CLIP_QUANTILES[0]);
  const hi = quantile(sorted, CLIP_QUANTILES[1]);
  if (!(hi > lo)) return null;
  const pad = (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}

/**
 * asinh is linear within ±threshold and logarithmic beyond: the smallest magnitude logged, but no
 * more than three decades under the largest, so the axis does not spend its height on decades of nothing.
 */
function asinhThreshold(sorted) {
  let t = Infinity;
  for (const v of sorted) if (v !== 0 && Math.abs(v) < t) t = Math.abs(v);
  const top = Math.max(Math.abs(sorted[0] ?? 0), Math.abs(sorted[sorted.length - 1] ?? 0));
  return Number.isFinite(t) ? Math.max(t, top / 1000) : 1;
}

/** Halves the older half of a series: recent points stay exact, old ones keep their shape. */
function thin(points) {
  const entries = [...points.entries()];
  const half = entries.length >> 1;
  points.clear();
  entries.forEach(([k, p], i) => {
    if (i >= half || i % 2 === 0) points.set(k, p);
  });
}
