// The run's current parameters (seed 4): hyperparameters, lineage fields and reproducibility facts.
import { h, fill } from './dom.js';

const LINEAGE = ['stage', 'dataset', 'base_model', 'parent_run'];

function show(v) {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function list(title, entries) {
  if (!entries.length) return null;
  return [h('h3', {}, title), h('dl', { class: 'evidence' }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, show(v))]))];
}

export function renderRunInfo(body, run) {
  const lineage = LINEAGE.filter((k) => run[k]).map((k) => [k, run[k]]);
  const sections = [
    list('Config', Object.entries(run.config ?? {})),
    list('Lineage', lineage),
    list('Environment', Object.entries(run.meta ?? {})),
    list('Tags', Object.entries(run.tags ?? {})),
  ].filter(Boolean);
  fill(body, sections.length ? sections : h('p', { class: 'muted' }, 'No config or metadata sent with this run.'));
}
