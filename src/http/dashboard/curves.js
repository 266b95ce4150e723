// A run's curves: every metric it logs as panels (panels.js), history from the series storage, then live points.
import { getJson } from './api.js';
import { h } from './dom.js';
import { PanelGrid, readSeries } from './panels.js';

const MAX_POINTS = 500;
/** Trainers that send epoch events but no epoch time: the page measures it, shown with the system figures. */
const EPOCH_DURATION = { name: 'epoch duration (events)', canonical: 'epoch_time', group: 'system', split: null, panel: null, level: 'epoch', derived: true };

export async function loadSeries(runId, canonical) {
  const names = canonical.join(',');
  const { series } = await getJson(`/runs/${encodeURIComponent(runId)}/metrics?names=${names}&max_points=${MAX_POINTS}`);
  return series;
}

export class RunCurves {
  /** `onFinding(id)`: a finding marker on a chart was clicked. */
  constructor(runId, { onFinding } = {}) {
    this.runId = runId;
    this.onFinding = onFinding;
    this.root = h('div', { class: 'run-curves' });
    this.grid = null;
    this.epochStarts = new Map();
    // Read at once, beside the run's status and findings: the charts wait for no other request.
    this.reading = readSeries(runId);
    this.reading.catch(() => {});
  }

  /** `status`: the run as GET /runs/:id answers, for its name and project (whose layout the panels keep). */
  async load(status) {
    this.grid = new PanelGrid({ runs: [{ id: this.runId, name: status.name, color: null }], project: status.project, onFinding: this.onFinding });
    this.root.replaceChildren(this.grid.root);
    await this.grid.load(new Map([[this.runId, this.reading]]));
  }

  addMetrics(e) {
    this.grid?.addMetrics(this.runId, e);
  }

  setFindings(findings) {
    this.grid?.setFindings(this.runId, findings);
  }

  upsertFinding(finding) {
    this.grid?.upsertFinding(this.runId, finding);
  }

  /**
   * Trainers that send epoch_started / epoch_ended but no epoch_time metric: the duration comes
   * from the events this page reads (its backfill and live ones).
   */
  addEpochEvent(e) {
    if (e.type === 'epoch_started') this.epochStarts.set(e.epoch, e.ts);
    if (e.type !== 'epoch_ended' || !this.epochStarts.has(e.epoch) || !this.grid || this.grid.hasCanonical(this.runId, 'epoch_time')) return;
    this.grid.addDerived(this.runId, EPOCH_DURATION, { step: null, epoch: e.epoch, ts: e.ts, value: (e.ts - this.epochStarts.get(e.epoch)) / 1000 });
  }

  dispose() {
    this.grid?.dispose();
  }
}
