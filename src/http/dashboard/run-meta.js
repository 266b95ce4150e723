// Seed 1's reproducibility facts and seed 4's live state (epoch of total, batch, loss, lr, training or not).
import { h, fill } from './dom.js';
import { num } from './format.js';

const FACTS = [
  ['git_commit', 'git commit'],
  ['python', 'python'],
  ['framework', 'framework'],
  ['cuda', 'CUDA'],
  ['host', 'host'],
  ['gpu', 'GPU'],
];

function factText(r, key) {
  if (key === 'git_commit') return `${r.git_commit.slice(0, 12)}${r.git_dirty ? ' (uncommitted changes)' : ''}`;
  if (key === 'framework') return `${r.framework}${r.framework_version ? ` ${r.framework_version}` : ''}`;
  return r[key];
}

export function renderRunMeta(body, s) {
  const st = s.state ?? {};
  const state = [
    ['training', st.is_training ? 'yes' : 'no'],
    ['epoch', st.epoch === null ? '—' : `${num(st.epoch)}${st.total_epochs ? ` / ${st.total_epochs}` : ''}`],
    ['batch', num(st.batch)],
    ['loss', num(st.loss)],
    ['learning rate', num(st.lr)],
  ];
  const r = s.reproducibility ?? {};
  const facts = FACTS.filter(([k]) => r[k]).map(([k, label]) => [k, label, factText(r, k)]);
  fill(
    body,
    h('dl', { class: 'evidence run-state' }, state.map(([k, v]) => [h('dt', {}, k), h('dd', { 'data-state': k }, v)])),
    facts.length
      ? h('dl', { class: 'evidence repro' }, facts.map(([k, label, v]) => [h('dt', {}, label), h('dd', { 'data-fact': k }, v)]))
      : h('p', { class: 'muted' }, 'No reproducibility facts sent (git commit, versions, host): the Python client sends them at init.'),
  );
}
