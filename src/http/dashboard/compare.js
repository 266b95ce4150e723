// Two runs side by side: their loss curves overlaid, their summaries, the config keys that differ, and the server's comparison.
import { getJson, unavailable } from './api.js';
import { LineChart } from './charts.js';
import { loadSeries } from './curves.js';
import { h, fill, panel } from './dom.js';
import { duration, num, outOf, percent } from './format.js';
import { statusBadge } from './status.js';

const OVERLAYS = [
  { canonical: 'val_loss', title: 'Validation loss' },
  { canonical: 'train_loss', title: 'Training loss' },
];

function summaryRows(a, b) {
  const best = (s) => (s.best ? `${s.best.metric} ${num(s.best.value)}${s.best.epoch !== null ? ` @ epoch ${num(s.best.epoch)}` : ''}` : '—');
  const rows = [
    ['status', (s) => statusBadge(s.status)],
    ['project', (s) => s.project],
    ['progress', (s) => percent(s.progress)],
    ['epoch', (s) => outOf(s.epoch, s.total_epochs)],
    ['step', (s) => outOf(s.step, s.total_steps)],
    ['best', best],
    ['elapsed', (s) => duration(s.elapsed_s)],
    ['avg epoch', (s) => duration(s.avg_epoch_time_s)],
    ['open findings', (s) => String(s.open_findings ?? 0)],
  ].map(([label, f]) => h('tr', {}, h('th', {}, label), h('td', {}, f(a)), h('td', {}, f(b))));
  // The hyperparameters that differ are usually the point of comparing two runs.
  const keys = [...new Set([...Object.keys(a.config ?? {}), ...Object.keys(b.config ?? {})])].sort();
  const show = (v) => (v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const k of keys) {
    const va = show(a.config?.[k]);
    const vb = show(b.config?.[k]);
    if (va !== vb) rows.push(h('tr', { class: 'config-diff' }, h('th', {}, `config.${k}`), h('td', {}, va), h('td', {}, vb)));
  }
  return rows;
}

/** The comparison route's answer, whatever its shape: nested objects as indented JSON. */
function generic(body) {
  return h('dl', { class: 'evidence' }, Object.entries(body).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v !== null && typeof v === 'object' ? h('pre', {}, JSON.stringify(v, null, 2)) : typeof v === 'number' ? num(v) : String(v))]));
}

export function compareView(main, a, b) {
  const charts = [];
  const summary = panel('Summary');
  const server = panel('Server comparison');
  const chartsBox = h('div', { class: 'charts' });
  fill(main, h('h1', {}, 'Compare runs'), chartsBox, h('div', { class: 'compare-grid' }, summary.root, server.root));

  (async () => {
    try {
      const [sa, sb] = await Promise.all([getJson(`/runs/${encodeURIComponent(a)}`), getJson(`/runs/${encodeURIComponent(b)}`)]);
      fill(summary.body, h('table', { class: 'compare' }, h('thead', {}, h('tr', {}, h('th', {}), h('th', {}, `A · ${sa.name}`), h('th', {}, `B · ${sb.name}`))), h('tbody', {}, summaryRows(sa, sb))));
      const [la, lb] = await Promise.all([loadSeries(a, OVERLAYS.map((o) => o.canonical)), loadSeries(b, OVERLAYS.map((o) => o.canonical))]);
      for (const o of OVERLAYS) {
        const box = h('div', { class: 'chart', 'data-chart': o.canonical });
        chartsBox.append(box);
        const chart = new LineChart(box, { title: o.title, relativeTime: true });
        charts.push(chart);
        for (const [tag, s, list] of [['A', sa, la], ['B', sb, lb]]) {
          for (const series of list.filter((x) => x.canonical === o.canonical)) chart.set(`${tag}:${series.name}`, series.points, `${tag} · ${s.name} · ${series.name}`);
        }
      }
    } catch (error) {
      fill(summary.body, h('p', { class: 'error' }, unavailable('Comparing these runs', error)));
    }
  })();

  getJson(`/runs/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`)
    .then((body) => fill(server.body, generic(body)))
    .catch((error) => fill(server.body, h('p', { class: 'muted' }, unavailable('A server-side comparison (better performer, loss and convergence differences)', error))));

  return () => charts.forEach((c) => c.dispose());
}
