// Every logged metric of one or more runs as chart panels, grouped by what they measure, with search, pin and hide.
import { getJson } from './api.js';
import { ChartLayout, chartToolbar } from './chart-controls.js';
import { LineChart } from './charts.js';
import { h } from './dom.js';
import { toNumber } from './format.js';
import { RunAxis } from './run-axis.js';

/** The sections, in the order people read a run: how it learns, how it generalises, then the machinery. */
const GROUPS = [
  ['train', 'Train'],
  ['val', 'Validation'],
  ['test', 'Test'],
  ['lr', 'Learning rate'],
  ['grad', 'Gradients'],
  ['system', 'System'],
  ['other', 'Other'],
];
/**
 * Points per series for the first drawing: about two per pixel of a wide chart. The server draws
 * a longer series from its summaries in this many points, keeping every spike and NaN.
 */
const MAX_POINTS = 1000;
/** Names in one history request: a run with thousands of per-layer series is read in several. */
const NAMES_PER_REQUEST_CHARS = 1800;
/** Unknown names in live events trigger a reload of the run's series, at most this often. */
const RELOAD_MS = 3000;
const FRACTIONS = new Set(['train_acc', 'val_acc', 'test_acc']);
const GRAD_KINDS = new Set(['exploding_gradients', 'vanishing_gradients', 'dead_relu']);
const PANEL_TITLES = { 'grad_norm/layers': 'gradient norm per layer' };

/** The same reading as normaliseValue in src/domain/aliases.ts: history arrives normalised, live values raw. */
function normalise(canonical, value) {
  return FRACTIONS.has(canonical) && value > 1 && value <= 100 ? value / 100 : value;
}

/** Whether a panel shows the metric a finding's evidence names (`evidence.metric`, as sent or canonical). */
function showsMetric(panel, { evidence }) {
  const metric = typeof evidence?.metric === 'string' ? evidence.metric : null;
  return metric !== null && (panel.key === metric || panel.names.has(metric) || panel.canonicals.has(metric));
}

/** For findings that name no drawn metric: loss findings on losses, gradient ones on gradients, throughput on system figures. */
function suitsKind(panel, { kind }) {
  if (GRAD_KINDS.has(kind)) return panel.group === 'grad';
  if (kind === 'slow_throughput') return panel.group === 'system';
  if (kind === 'nan_loss' && panel.group === 'grad') return true;
  return panel.loss;
}

/** Splits names into groups whose joined length fits one request's URL. */
function chunks(names) {
  const out = [[]];
  let length = 0;
  for (const n of names) {
    const size = encodeURIComponent(n).length + 1;
    if (length + size > NAMES_PER_REQUEST_CHARS && out[out.length - 1].length) {
      out.push([]);
      length = 0;
    }
    out[out.length - 1].push(n);
    length += size;
  }
  return out.filter((c) => c.length);
}

const seriesKey = (run, name) => `${run}\u0000${name}`;

/**
 * A run's series with their groups and levels (GET /runs/:id/metrics/names), and the points of
 * those `wanted` keeps, `MAX_POINTS` per series: `{infos, series}`.
 */
export async function readSeries(runId, wanted = () => true) {
  const path = `/runs/${encodeURIComponent(runId)}`;
  const infos = (await getJson(`${path}/metrics/names`)).series.filter(wanted);
  const read = await Promise.all(chunks(infos.map((i) => i.name)).map((names) => getJson(`${path}/metrics?names=${names.map(encodeURIComponent).join(',')}&max_points=${MAX_POINTS}`)));
  return { infos, series: read.flatMap((r) => r.series) };
}

export class PanelGrid {
  /**
   * `runs`: `[{id, name, color}]`: one run draws train and validation in their own colours,
   * several runs each in theirs. `project` keeps the layout (pinned, hidden, settings) per project.
   * `onFinding(id)`: a finding marker was clicked.
   */
  constructor({ runs, project, onFinding = null }) {
    this.runs = runs;
    this.onFinding = onFinding;
    this.layout = new ChartLayout(project);
    /** Panel key → `{key, title, group, loss, names, box, chart}`. */
    this.panels = new Map();
    /** seriesKey(run, name) → `{panel, info}`. */
    this.known = new Map();
    this.axes = new Map(runs.map((r) => [r.id, new RunAxis()]));
    this.findings = new Map(runs.map((r) => [r.id, new Map()]));
    this.search = '';
    this.showHidden = false;
    this.unknown = new Map();
    this.reloadTimer = 0;
    this.loaded = false;
    this.disposed = false;
    this.toolbar = chartToolbar(this.layout, {
      onSettings: (s) => this.panels.forEach((p) => p.chart.applySettings(s)),
      onSearch: (text) => ((this.search = text.trim().toLowerCase()), this.render()),
      onShowHidden: (on) => ((this.showHidden = on), this.render()),
    });
    this.sections = h('div', { class: 'panel-sections' });
    this.root = h('div', { class: 'panel-grid' }, this.toolbar.root, this.sections);
    this.root.addEventListener('chart-drawn', () => this.checkDrawn());
  }

  /**
   * Every run's series, with `MAX_POINTS` points each. `started`: run id → readSeries(id) the
   * caller began early, so the page's other requests do not hold up the charts.
   */
  async load(started = new Map()) {
    await Promise.all(this.runs.map((r) => this.loadRun(r, started.get(r.id))));
    this.loaded = true;
    this.checkDrawn();
  }

  async loadRun(run, reading = readSeries(run.id, (i) => !this.known.has(seriesKey(run.id, i.name)))) {
    const { infos, series } = await reading;
    if (this.disposed) return;
    const fresh = infos.filter((i) => !this.known.has(seriesKey(run.id, i.name)));
    for (const info of fresh) this.place(run, info);
    this.render();
    // The run's axis learns every series first: an epoch-level value finds its step in a step-level series.
    const axis = this.axes.get(run.id);
    for (const s of series) axis.learn(s.points);
    for (const s of series) {
      const known = this.known.get(seriesKey(run.id, s.name));
      if (fresh.includes(known?.info)) known.panel.chart.set(seriesKey(run.id, s.name), s.points, this.label(run, s.name), this.seriesOpts(run, known.info));
    }
  }

  label(run, name) {
    return this.runs.length > 1 ? `${run.name} · ${name}` : name;
  }

  seriesOpts(run, info) {
    return { axis: this.axes.get(run.id), split: info.split, level: info.level, color: this.runs.length > 1 ? run.color : null };
  }

  /** The panel a series belongs in: per-layer gradient norms share one, names of one canonical quantity (`loss`, `train/loss`) share one. */
  place(run, info) {
    const key = info.panel ?? info.canonical ?? info.name;
    let panel = this.panels.get(key);
    if (!panel) {
      const box = h('div', { class: 'chart', 'data-chart': key });
      panel = { key, group: info.group, loss: /loss/.test(info.canonical ?? info.name), names: new Set(), canonicals: new Set(), box };
      const pin = h('button', { type: 'button', class: 'chart-btn pin', title: 'pin to the top (every run of this project)', onclick: () => (this.layout.toggle(this.layout.pinned, key), this.render()) }, 'pin');
      const hide = h('button', { type: 'button', class: 'chart-btn hide', title: 'hide (every run of this project)', onclick: () => (this.layout.toggle(this.layout.hidden, key), this.render()) }, 'hide');
      panel.chart = new LineChart(box, { title: PANEL_TITLES[key] ?? info.name, settings: { ...this.layout.settings }, onRange: (range) => this.loadRange(panel, range), onFinding: this.onFinding, actions: [pin, hide] });
      this.panels.set(key, panel);
    }
    panel.names.add(info.name);
    if (info.canonical) panel.canonicals.add(info.canonical);
    // A panel of several names is titled by the quantity they share.
    if (panel.names.size > 1 && !PANEL_TITLES[key]) panel.chart.head.querySelector('.chart-title').textContent = panel.chart.title = key;
    this.known.set(seriesKey(run.id, info.name), { panel, info });
    this.panelFindings(panel);
    return panel;
  }

  matches(panel) {
    if (!this.search) return true;
    const text = [panel.key, panel.chart.title, ...panel.names].join(' ').toLowerCase();
    return this.search.split(/\s+/).every((word) => text.includes(word));
  }

  /** Lays the panels out in their sections (pinned first); search and hidden decide which show. */
  render() {
    const { pinned, hidden } = this.layout;
    const sections = [['pinned', 'Pinned'], ...GROUPS].map(([group, title]) => {
      const members = [...this.panels.values()]
        .filter((p) => (group === 'pinned' ? pinned.has(p.key) : p.group === group && !pinned.has(p.key)))
        .filter((p) => (this.showHidden || !hidden.has(p.key)) && this.matches(p))
        .sort((a, b) => a.key.localeCompare(b.key));
      for (const p of members) {
        p.box.classList.toggle('pinned', pinned.has(p.key));
        p.box.classList.toggle('is-hidden', hidden.has(p.key));
        p.box.querySelector('.pin').textContent = pinned.has(p.key) ? 'unpin' : 'pin';
        p.box.querySelector('.hide').textContent = hidden.has(p.key) ? 'show' : 'hide';
      }
      if (!members.length) return null;
      return h('section', { class: 'panel-group', 'data-group': group }, h('h3', {}, title, h('span', { class: 'muted' }, ` ${members.length}`)), h('div', { class: 'charts' }, members.map((p) => p.box)));
    });
    const shown = sections.filter(Boolean);
    this.sections.replaceChildren(...(shown.length ? shown : [h('p', { class: 'muted empty-panels' }, this.panels.size ? 'No chart matches.' : 'No metrics logged yet.')]));
    this.toolbar.setHidden([...this.panels.keys()].filter((k) => hidden.has(k)).length);
    this.root.dataset.panels = String(this.sections.querySelectorAll('.chart').length);
    this.checkDrawn();
  }

  /** Once loaded, `data-drawn="all"` and a `charts-drawn` event say every chart on the page has drawn its points. */
  checkDrawn() {
    if (!this.loaded || this.root.dataset.drawn === 'all') return;
    const waiting = [...this.panels.values()].some((p) => p.box.isConnected && p.chart.pointCount() && !p.box.dataset.drawn);
    if (waiting) return;
    this.root.dataset.drawn = 'all';
    this.root.dispatchEvent(new CustomEvent('charts-drawn', { bubbles: true }));
  }

  /**
   * A zoomed panel reads its visible range again in detail. The server selects by step: on the
   * epoch and time axes, the steps the range covers are read off the overview's points.
   */
  async loadRange(panel, range) {
    const ticket = (panel.ticket = (panel.ticket ?? 0) + 1);
    if (!range) return;
    await Promise.all(
      this.runs.map(async (run) => {
        const names = [...panel.names].filter((n) => this.known.get(seriesKey(run.id, n))?.panel === panel);
        if (!names.length) return;
        const steps = range.mode === 'step' ? [range.min, range.max] : panel.chart.stepsWithin(names.map((n) => seriesKey(run.id, n)), range);
        if (!steps) return;
        const from = Math.max(0, Math.floor(steps[0]));
        const to = Math.max(from, Math.ceil(steps[1]));
        const { series } = await getJson(`/runs/${encodeURIComponent(run.id)}/metrics?names=${names.map(encodeURIComponent).join(',')}&from_step=${from}&to_step=${to}&max_points=${MAX_POINTS}`).catch(() => ({ series: [] }));
        if (ticket !== panel.ticket || this.disposed) return;
        for (const s of series) panel.chart.setDetail(seriesKey(run.id, s.name), s.points, range);
      }),
    );
    panel.box.dataset.detail = String(ticket);
  }

  /** A live `metrics` event of run `runId`; names never seen before are looked up by reloading the run's series. */
  addMetrics(runId, e) {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) return;
    for (const [name, raw] of Object.entries(e.values)) {
      const known = this.known.get(seriesKey(runId, name));
      if (!known) {
        this.unknown.set(seriesKey(runId, name), run);
        continue;
      }
      this.addPoint(run, known, { step: e.step ?? null, epoch: e.epoch ?? null, ts: e.ts, value: normalise(known.info.canonical, toNumber(raw)) });
    }
    if (this.unknown.size && !this.reloadTimer) {
      this.reloadTimer = setTimeout(async () => {
        const runs = new Set(this.unknown.values());
        this.unknown.clear();
        await Promise.all([...runs].map((r) => this.loadRun(r).catch(() => {})));
        this.reloadTimer = 0;
      }, RELOAD_MS);
    }
  }

  addPoint(run, known, point) {
    known.panel.chart.add(seriesKey(run.id, known.info.name), point, this.label(run, known.info.name), this.seriesOpts(run, known.info));
  }

  /** A series the page derives itself (epoch durations from epoch events): placed like a logged one. */
  addDerived(runId, info, point) {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) return;
    const known = this.known.get(seriesKey(runId, info.name)) ?? { panel: this.place(run, info), info };
    if (!this.sections.contains(known.panel.box)) this.render();
    this.addPoint(run, known, point);
  }

  hasCanonical(runId, canonical) {
    for (const [key, k] of this.known) if (key.startsWith(`${runId}\u0000`) && k.info.canonical === canonical && !k.info.derived) return true;
    return false;
  }

  setFindings(runId, findings) {
    this.findings.set(runId, new Map(findings.map((f) => [f.id, f])));
    this.panels.forEach((p) => this.panelFindings(p));
  }

  upsertFinding(runId, finding) {
    this.findings.get(runId)?.set(finding.id, finding);
    this.panels.forEach((p) => this.panelFindings(p));
  }

  /** Each finding on the panels it concerns: the metric it names, else by its kind, else the first panel, so none is lost. */
  panelFindings(panel) {
    const panels = [...this.panels.values()];
    const list = [];
    for (const [runId, byId] of this.findings) {
      const axis = this.axes.get(runId);
      for (const f of byId.values()) {
        const rule = [showsMetric, suitsKind].find((test) => panels.some((p) => test(p, f)));
        if (rule ? rule(panel, f) : panel === panels[0]) list.push({ ...f, axis });
      }
    }
    panel.chart.setFindings(list);
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.reloadTimer);
    for (const p of this.panels.values()) p.chart.dispose();
  }
}
