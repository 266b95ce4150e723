// Runs side by side (2 to 20): the server's comparison in words, the ranking, the config and summary figures that
// differ (runs named, in their colours), and one chart per metric every run logged, one line per run.
import { HttpError, getJson, unavailable } from './api.js';
import { LineChart } from './charts.js';
import { h, fill, panel } from './dom.js';
import { duration, num } from './format.js';
import { runColor } from './run-colors.js';
import { runSwatch } from './runs-table.js';
import { statusBadge } from './status.js';

/** Charts drawn at most: runs logging hundreds of shared metrics (per-layer norms) list the rest by name. */
const MAX_CHARTS = 24;
const MAX_POINTS = 500;

function cell(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length ? v.join(', ').replaceAll('_', ' ') : 'none';
  if (typeof v === 'number' || /^-?(NaN|Infinity)$/.test(String(v))) return num(v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A figure's value as read: times as durations, the rest as numbers or text. */
function figure(key, v) {
  return key.endsWith('_time_s') && typeof v === 'number' ? duration(v) : cell(v);
}

function runLabel(run) {
  return h('span', { class: 'run-label', 'data-run': run.id }, runSwatch(run.id), h('a', { href: `#/run/${encodeURIComponent(run.id)}`, title: run.id }, run.name));
}

function rankingTable(c, byId) {
  return h(
    'table',
    { class: 'compare ranking' },
    h('thead', {}, h('tr', {}, ['#', 'run', `best ${c.metric ?? ''}`, 'best epoch', 'vs best', 'epochs vs best'].map((t, i) => h('th', { class: i > 1 ? 'num' : '' }, t)))),
    h(
      'tbody',
      {},
      c.ranking.map((r) =>
        h(
          'tr',
          { 'data-run': r.run, 'data-rank': r.rank ?? '' },
          h('td', {}, r.rank ?? '—'),
          h('td', {}, runLabel(byId.get(r.run))),
          h('td', { class: 'num' }, cell(r.best_value)),
          h('td', { class: 'num' }, cell(r.best_epoch)),
          h('td', { class: 'num' }, r.best_difference === null ? '—' : r.best_difference === 0 ? 'best' : `${r.best_difference > 0 ? '+' : ''}${num(r.best_difference)}`),
          h('td', { class: 'num' }, r.epochs_to_converge_difference === null ? '—' : `${r.epochs_to_converge_difference > 0 ? '+' : ''}${num(r.epochs_to_converge_difference)}`),
        ),
      ),
    ),
  );
}

/** Only what differs: config keys, then summary figures, one column per run headed by its name. */
function differencesTable(c) {
  const rows = (room, diffs, show) =>
    Object.entries(diffs).map(([key, values]) => h('tr', { class: `${room}-diff`, 'data-key': `${room}.${key}` }, h('th', { scope: 'row' }, key), values.map((v) => h('td', {}, show(key, v)))));
  const config = rows('config', c.config_differences, (_k, v) => cell(v));
  const summary = rows('summary', c.summary_differences, figure);
  const section = (title, list, none) => [h('tr', { class: 'section' }, h('th', { colspan: c.runs.length + 1 }, title)), list.length ? list : h('tr', {}, h('td', { colspan: c.runs.length + 1, class: 'muted' }, none))];
  return h(
    'table',
    { class: 'compare differences' },
    h('thead', {}, h('tr', {}, h('th', {}), c.runs.map((r) => h('th', { 'data-run': r.id }, runLabel(r))))),
    h('tbody', {}, section('Config', config, 'The configs are the same.'), section('Summary', summary, 'No summary figure differs.')),
  );
}

/** Series keyed by what they measure: the canonical name when the alias table knows one, else the name as sent. */
const keyOf = (s) => s.canonical ?? s.name;

/** One chart per metric every run logged, a line per run in its colour. */
async function drawCharts(box, note, runs, charts) {
  const all = await Promise.all(runs.map((r) => getJson(`/runs/${encodeURIComponent(r.id)}/metrics?max_points=${MAX_POINTS}`)));
  const perRun = all.map(({ series }) => {
    const byKey = new Map();
    for (const s of series) if (!byKey.has(keyOf(s))) byKey.set(keyOf(s), s);
    return byKey;
  });
  const shared = [...perRun[0].keys()].filter((k) => perRun.every((m) => m.has(k))).sort();
  if (!shared.length) return fill(box, h('p', { class: 'muted' }, 'These runs share no metric to draw.'));
  fill(note, shared.length > MAX_CHARTS ? `${MAX_CHARTS} of ${shared.length} shared metrics drawn; not drawn: ${shared.slice(MAX_CHARTS).join(', ')}` : `${shared.length} shared metric${shared.length === 1 ? '' : 's'}`);
  for (const key of shared.slice(0, MAX_CHARTS)) {
    const chartBox = h('div', { class: 'chart', 'data-chart': key });
    box.append(chartBox);
    const chart = new LineChart(chartBox, { title: key, relativeTime: true });
    charts.push(chart);
    runs.forEach((r, i) => {
      const s = perRun[i].get(key);
      chart.set(r.id, s.points, s.name === key ? r.name : `${r.name} · ${s.name}`, { color: runColor(r.id) });
    });
  }
}

export function compareView(main, refs) {
  const charts = [];
  const words = panel('Analysis', 'compare-text');
  const ranking = panel('Ranking', 'compare-ranking');
  const differences = panel('What differs', 'compare-differences');
  const curves = panel('Shared metrics', 'compare-curves');
  const chartsBox = h('div', { class: 'charts' });
  curves.body.append(chartsBox);
  const legend = h('div', { class: 'compare-legend' });
  fill(main, h('h1', {}, `Compare ${refs.length} runs`), legend, words.root, h('div', { class: 'compare-grid' }, ranking.root, differences.root), curves.root);

  (async () => {
    try {
      const c = await getJson(`/runs/compare?ids=${refs.map(encodeURIComponent).join(',')}`);
      const byId = new Map(c.runs.map((r) => [r.id, r]));
      fill(legend, c.runs.map((r) => h('span', { class: 'legend-item' }, runLabel(r), statusBadge(r.status))));
      fill(words.body, h('p', { class: 'compare-words' }, c.text));
      if (c.lower_is_better !== null) ranking.note.textContent = `on ${c.metric}, ${c.lower_is_better ? 'lower' : 'higher'} is better`;
      fill(ranking.body, h('div', { class: 'table-scroll' }, rankingTable(c, byId)));
      fill(differences.body, h('div', { class: 'table-scroll' }, differencesTable(c)));
      await drawCharts(chartsBox, curves.note, c.runs, charts);
    } catch (error) {
      // The server names the run it does not know, or what is wrong with the list: say that, not "unavailable".
      const known = error instanceof HttpError && [400, 404, 410].includes(error.status);
      fill(words.body, h('p', { class: 'error' }, known ? `Could not compare these runs: ${error.message}` : unavailable('Comparing these runs', error)));
    }
  })();

  return () => charts.forEach((c) => c.dispose());
}
