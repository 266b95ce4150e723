// Line charts on uPlot: named series of {step, epoch, ts, value} points, redrawn at most once a frame.
import uPlot from './vendor/uplot.js';
import { h } from './dom.js';
import { num, toNumber } from './format.js';

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
/** Points kept per series: a page left open for days must not grow without bound. */
const MAX_POINTS = 5000;
const HEIGHT = 200;
/** Steps and epochs are counted: ticks at 2.5 epochs or step 12.5 would read as nonsense. */
const WHOLE_INCRS = Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/**
 * The x axis a chart can use for all of its points: step when every point has one, else epoch,
 * else time (always known). Mixing step and epoch on one axis would draw nonsense.
 */
function xMode(series) {
  let step = true;
  let epoch = true;
  for (const s of series) {
    for (const p of s.points.values()) {
      if (p.step === null || p.step === undefined) step = false;
      if (p.epoch === null || p.epoch === undefined) epoch = false;
    }
  }
  return step ? 'step' : epoch ? 'epoch' : 'time';
}

/** uPlot passes null for ticks its log-axis filter hides; those stay unlabelled. */
const tickLabels = (_u, ticks) => ticks.map((v) => (v === null ? null : num(v)));

const keyOf = (p) => `${p.step}|${p.epoch}|${p.ts}`;

export class LineChart {
  /** `relativeTime`: on a time axis, seconds since each series began (to compare runs started apart). */
  constructor(container, { title, relativeTime = false, empty = 'no data yet' }) {
    this.container = container;
    this.title = title;
    this.relativeTime = relativeTime;
    this.series = new Map();
    this.plot = null;
    this.shape = '';
    this.frame = 0;
    this.emptyText = empty;
    this.log = false;
    this.plotBox = h('div');
    // Losses span decades: on a log axis a slow late descent or an early blow-up stays readable.
    const toggle = h('button', { type: 'button', class: 'log-toggle', title: 'logarithmic y axis', onclick: () => {
      this.log = !this.log;
      toggle.classList.toggle('on', this.log);
      this.destroyPlot();
      this.schedule();
    } }, 'log y');
    container.append(toggle, this.plotBox);
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT }));
    this.resize.observe(container);
    this.zoomed = false;
    container.addEventListener('dblclick', () => (this.zoomed = false));
    this.schedule();
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  /** Replaces a series' points (history as loaded); `opts.color` draws it in that colour (a run's own). */
  set(name, points, label = name, opts = {}) {
    const s = { label, points: new Map(), color: opts.color ?? null };
    this.series.set(name, s);
    for (const p of points) s.points.set(keyOf(p), p);
    this.schedule();
  }

  /** Adds one live point; one already known (a replayed event) replaces itself. */
  add(name, point, label = name) {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { label, points: new Map() }));
    s.points.set(keyOf(point), point);
    if (s.points.size > MAX_POINTS) thin(s.points);
    this.schedule();
  }

  has(name) {
    return this.series.has(name);
  }

  pointCount() {
    let n = 0;
    for (const s of this.series.values()) n += s.points.size;
    return n;
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  draw() {
    const series = [...this.series.values()].filter((s) => s.points.size);
    this.container.dataset.points = String(this.pointCount());
    if (!series.length) {
      this.destroyPlot();
      this.plotBox.replaceChildren(h('p', { class: 'empty' }, `${this.title}: ${this.emptyText}`));
      return;
    }
    const mode = xMode(series);
    const data = align(series, mode, this.relativeTime, this.log);
    const shape = `${mode}|${series.map((s) => s.label).join('\u0000')}`;
    if (this.plot && shape === this.shape) {
      // A reader who zoomed in keeps the zoom while points arrive; double-click zooms back out.
      this.plot.setData(data, !this.zoomed);
      return;
    }
    this.destroyPlot();
    this.plotBox.replaceChildren();
    this.shape = shape;
    const time = mode === 'time' && !this.relativeTime;
    this.plot = new uPlot(
      {
        title: this.title,
        width: this.width(),
        height: HEIGHT,
        scales: { x: { time }, y: this.log ? { distr: 3 } : {} },
        axes: [
          mode === 'time'
            ? { label: time ? '' : 'seconds from start', values: time ? undefined : tickLabels }
            : { label: mode, incrs: WHOLE_INCRS, values: tickLabels },
          { values: tickLabels, size: 60 },
        ],
        series: [
          { label: mode, value: time ? undefined : (_u, v) => (v === null ? '—' : num(v)) },
          ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? PALETTE[i % PALETTE.length], width: 1.5, value: (_u, v) => (v === null ? '—' : num(v)), points: { show: false } })),
        ],
        cursor: { drag: { x: true, y: false } },
        hooks: { setSelect: [(u) => (this.zoomed ||= u.select.width > 0)] },
      },
      data,
      this.plotBox,
    );
  }

  destroyPlot() {
    this.plot?.destroy();
    this.plot = null;
    this.shape = '';
  }

  dispose() {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.destroyPlot();
  }
}

function xOf(p, mode) {
  return mode === 'step' ? p.step : mode === 'epoch' ? p.epoch : p.ts / 1000;
}

/**
 * uPlot wants one shared x array: the union of every series' x, each series holding its value
 * there or `undefined` (spanned over). A non-finite value becomes `null`: a visible gap; so does
 * a value a log axis cannot show.
 */
function align(series, mode, relativeTime, log) {
  const perSeries = series.map((s) => {
    const pts = [...s.points.values()].map((p) => [xOf(p, mode), toNumber(p.value)]);
    pts.sort((a, b) => a[0] - b[0]);
    if (mode === 'time' && relativeTime && pts.length) {
      const t0 = pts[0][0];
      for (const p of pts) p[0] -= t0;
    }
    return pts;
  });
  const xs = [...new Set(perSeries.flatMap((pts) => pts.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = perSeries.map((pts) => {
    const col = new Array(xs.length).fill(undefined);
    for (const [x, y] of pts) col[index.get(x)] = Number.isFinite(y) && (!log || y > 0) ? y : null;
    return col;
  });
  return [xs, ...ys];
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
