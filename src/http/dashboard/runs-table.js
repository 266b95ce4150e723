// The runs table's columns: the fixed ones, config and summary columns the user picks (kept per project in
// localStorage), headers that sort on the server, and the findings count coloured by its worst severity.
import { h } from './dom.js';
import { ago, num } from './format.js';
import { runColor } from './run-colors.js';
import { findingsBadge, progressBar, statusBadge } from './status.js';
import { tagChips } from './tags.js';

const COLUMNS_KEY = 'training-analyst-columns';

/** Nested config keys are dotted, as the compare API names them: {optimizer: {lr}} → optimizer.lr. */
export function flatConfig(config, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(config ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatConfig(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** The columns picked for a project (`''`: all projects), as `config.<key>` / `summary.<metric>`. */
export function savedColumns(project) {
  try {
    const all = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? '{}');
    return Array.isArray(all[project]) ? all[project].filter((c) => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

export function saveColumns(project, columns) {
  let all = {};
  try {
    all = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? '{}') ?? {};
  } catch {
    // A damaged entry is replaced.
  }
  all[project] = columns;
  localStorage.setItem(COLUMNS_KEY, JSON.stringify(all));
}

function cellValue(v) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'number' || /^-?(NaN|Infinity)$/.test(String(v))) return num(v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A small dot in the run's colour: the same run is this colour on every page. */
export function runSwatch(runId) {
  const color = runColor(runId);
  return h('span', { class: 'run-swatch', 'data-color': color, style: `background:${color}`, 'aria-hidden': 'true' });
}

/** The config keys and metrics the runs of a page have, for the column chooser. */
export function availableColumns(runs) {
  const config = new Set();
  const summary = new Set();
  for (const r of runs) {
    for (const k of Object.keys(flatConfig(r.config))) config.add(`config.${k}`);
    for (const k of Object.keys(r.summary ?? {})) summary.add(`summary.${k}`);
  }
  return { config: [...config].sort(), summary: [...summary].sort() };
}

/** A checkbox list of columns in a disclosure; `onChange(columns)` gets the new choice. */
export function columnChooser(available, chosen, onChange) {
  const picked = new Set(chosen);
  const box = (col) =>
    h(
      'label',
      { class: 'column-choice' },
      h('input', {
        type: 'checkbox',
        name: 'column',
        value: col,
        checked: picked.has(col),
        onchange: (ev) => {
          if (ev.target.checked) picked.add(col);
          else picked.delete(col);
          onChange([...picked]);
        },
      }),
      ` ${col.slice(col.indexOf('.') + 1)}`,
    );
  // Columns chosen earlier stay listed even when no run on this page has them.
  const config = [...new Set([...available.config, ...chosen.filter((c) => c.startsWith('config.'))])].sort();
  const summary = [...new Set([...available.summary, ...chosen.filter((c) => c.startsWith('summary.'))])].sort();
  return h(
    'details',
    { class: 'columns-chooser' },
    h('summary', {}, `Columns${chosen.length ? ` (${chosen.length})` : ''}`),
    h(
      'div',
      { class: 'columns-lists' },
      h('fieldset', {}, h('legend', {}, 'Config'), config.length ? config.map(box) : h('span', { class: 'muted' }, 'no config keys on this page')),
      h('fieldset', {}, h('legend', {}, 'Summary (latest value)'), summary.length ? summary.map(box) : h('span', { class: 'muted' }, 'no metrics on this page')),
    ),
  );
}

/**
 * Column headers with a sort button where the server can sort: clicking sorts ascending, again
 * descending. `sort` is the list's current `sort` parameter.
 */
function header(label, key, sort, onSort, cls) {
  if (!key) return h('th', { class: cls }, label);
  const dir = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : 'none';
  return h(
    'th',
    { class: cls, 'aria-sort': dir, 'data-sort': key },
    h('button', { type: 'button', class: 'sort', title: `sort by ${label}`, onclick: () => onSort(dir === 'ascending' ? `-${key}` : key) }, label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : '')),
  );
}

/**
 * `runs` with their `details` (progress of live runs, or null), `columns` picked, `selected` ids,
 * `onToggle(id, on)`, `sort` and `onSort(sort)`, `empty`: the row shown when there are none.
 */
export function runsTableParts({ runs, details, columns, selected, onToggle, sort, onSort, empty }) {
  const extra = columns.map((c) => ({ key: c, label: c.slice(c.indexOf('.') + 1), room: c.slice(0, c.indexOf('.')) }));
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', {}, h('span', { class: 'visually-hidden' }, 'select')),
      header('run', 'name', sort, onSort),
      header('project', 'project', sort, onSort),
      header('status', 'status', sort, onSort),
      header('progress'),
      extra.map((c) => header(c.label, c.key, sort, onSort, `num extra ${c.room}`)),
      header('open findings', null, sort, onSort, 'num'),
      header('updated', 'updated', sort, onSort),
    ),
  );
  const row = (run, d) => {
    const flat = flatConfig(run.config);
    return h(
      'tr',
      { 'data-run': run.id, 'data-color': runColor(run.id) },
      h('td', {}, h('input', { type: 'checkbox', checked: selected.has(run.id), 'aria-label': `select ${run.name}`, onchange: (ev) => onToggle(run.id, ev.target.checked) })),
      h(
        'td',
        { class: 'run-cell' },
        runSwatch(run.id),
        h('a', { href: `#/run/${encodeURIComponent(run.id)}` }, run.name),
        // Names repeat (a script run twice is two runs): the start of the id tells them apart.
        h('span', { class: 'muted run-id', title: run.id }, run.id.slice(0, 8)),
        run.archived_at !== null ? h('span', { class: 'badge archived' }, 'archived') : null,
        tagChips(run),
        run.note ? h('div', { class: 'muted run-note' }, run.note) : null,
      ),
      h('td', { class: 'muted' }, run.project),
      h('td', {}, statusBadge(run.status)),
      h('td', { class: 'progress-cell' }, progressBar(d?.progress)),
      extra.map((c) => h('td', { class: 'num', 'data-col': c.key }, cellValue(c.room === 'config' ? flat[c.label] : run.summary?.[c.label]))),
      h('td', { class: 'num', 'data-col': 'open' }, findingsBadge(run.open_by_severity)),
      h('td', { class: 'muted' }, ago(run.updated_at)),
    );
  };
  const width = 7 + extra.length;
  const body = h('tbody', {}, runs.length ? runs.map((r, i) => row(r, details[i])) : h('tr', {}, h('td', { colspan: width, class: 'muted' }, empty)));
  return [head, body];
}
