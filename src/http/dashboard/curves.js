// A run's standard curves (loss, accuracy, lr, grad norm, epoch time): history from GET /metrics, then live points.
import { getJson } from './api.js';
import { LineChart } from './charts.js';
import { h } from './dom.js';
import { toNumber } from './format.js';

/** Which canonical metrics (the server's alias table) each chart shows. */
export const CURVES = [
  { id: 'loss', title: 'Loss', canonical: ['train_loss', 'val_loss', 'test_loss'] },
  { id: 'accuracy', title: 'Accuracy', canonical: ['train_acc', 'val_acc', 'test_acc'] },
  { id: 'lr', title: 'Learning rate', canonical: ['lr'] },
  { id: 'grad_norm', title: 'Gradient norm', canonical: ['grad_norm'] },
  { id: 'epoch_time', title: 'Epoch time (s)', canonical: ['epoch_time'] },
];
const CHART_OF = new Map(CURVES.flatMap((c) => c.canonical.map((name) => [name, c.id])));
const FRACTIONS = new Set(['train_acc', 'val_acc', 'test_acc']);
const MAX_POINTS = 500;
/** Unknown names in live events trigger a history reload, at most this often. */
const RELOAD_MS = 3000;

/** The same reading as normaliseValue in src/domain/aliases.ts: history arrives normalised, live values raw. */
function normalise(canonical, value) {
  return FRACTIONS.has(canonical) && value > 1 && value <= 100 ? value / 100 : value;
}

export async function loadSeries(runId, canonical) {
  const names = canonical.join(',');
  const { series } = await getJson(`/runs/${encodeURIComponent(runId)}/metrics?names=${names}&max_points=${MAX_POINTS}`);
  return series;
}

export class RunCurves {
  constructor(runId) {
    this.runId = runId;
    this.root = h('div', { class: 'charts' });
    this.charts = new Map();
    for (const c of CURVES) {
      const box = h('div', { class: 'chart', 'data-chart': c.id });
      this.root.append(box);
      this.charts.set(c.id, new LineChart(box, { title: c.title }));
    }
    /** Metric name as sent → canonical name, or null for names no chart shows. */
    this.canonicalOf = new Map();
    this.unknown = new Set();
    this.reloadTimer = 0;
    this.epochStarts = new Map();
  }

  async load() {
    const series = await loadSeries(this.runId, [...CHART_OF.keys()]);
    for (const s of series) {
      this.canonicalOf.set(s.name, s.canonical);
      this.charts.get(CHART_OF.get(s.canonical))?.set(s.name, s.points);
    }
    for (const chart of this.charts.values()) chart.schedule();
  }

  /** A live `metrics` event; names never seen before are looked up by reloading the history. */
  addMetrics(e) {
    for (const [name, raw] of Object.entries(e.values)) {
      if (!this.canonicalOf.has(name)) {
        this.unknown.add(name);
        continue;
      }
      const canonical = this.canonicalOf.get(name);
      const chart = this.charts.get(CHART_OF.get(canonical));
      if (!chart) continue;
      chart.add(name, { step: e.step ?? null, epoch: e.epoch ?? null, ts: e.ts, value: normalise(canonical, toNumber(raw)) });
    }
    if (this.unknown.size && !this.reloadTimer) {
      this.reloadTimer = setTimeout(async () => {
        const asked = [...this.unknown];
        this.unknown.clear();
        await this.load().catch(() => {});
        // Names the server maps to no chart must not reload again and again.
        for (const name of asked) if (!this.canonicalOf.has(name)) this.canonicalOf.set(name, null);
        this.reloadTimer = 0;
      }, RELOAD_MS);
    }
  }

  /**
   * Trainers that send epoch_started / epoch_ended but no epoch_time metric: the duration comes
   * from the events this page reads (its backfill and live ones).
   */
  addEpochEvent(e) {
    if (e.type === 'epoch_started') this.epochStarts.set(e.epoch, e.ts);
    if (e.type !== 'epoch_ended' || !this.epochStarts.has(e.epoch)) return;
    const chart = this.charts.get('epoch_time');
    if ([...this.canonicalOf.values()].includes('epoch_time')) return;
    chart.add('epoch duration (events)', { step: null, epoch: e.epoch, ts: e.ts, value: (e.ts - this.epochStarts.get(e.epoch)) / 1000 });
  }

  pointCount(id) {
    return this.charts.get(id).pointCount();
  }

  dispose() {
    clearTimeout(this.reloadTimer);
    for (const chart of this.charts.values()) chart.dispose();
  }
}
