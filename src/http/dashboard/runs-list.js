// The runs list: status, progress and open findings per run, filtered by project and status, paged.
import { getJson, qs, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { ago } from './format.js';
import { progressBar, statusBadge } from './status.js';

const PAGE = 25;
const REFRESH_MS = 5000;
const STATUSES = ['', 'running', 'paused', 'stalled', 'lost', 'completed', 'failed', 'stopped'];
const LIVE = new Set(['running', 'paused', 'stalled']);

/**
 * Progress lives in the run's in-memory context, so it is read (GET /runs/:id) for live runs
 * only; a finished run's open findings come from the store (GET /runs/:id/findings), which
 * does not rebuild its context.
 */
async function details(run) {
  const path = `/runs/${encodeURIComponent(run.id)}`;
  if (LIVE.has(run.status)) {
    const s = await getJson(path);
    return { progress: s.progress, open: s.open_findings };
  }
  const { findings } = await getJson(`${path}/findings?status=open`);
  return { progress: run.status === 'completed' ? 100 : null, open: findings.length };
}

export function runsList(main, params, navigate) {
  const filters = { project: params.get('project') ?? '', status: params.get('status') ?? '', offset: Number(params.get('offset') ?? 0) };
  const selected = new Set();
  const project = h('input', { type: 'search', name: 'project', placeholder: 'all projects', value: filters.project, list: 'projects' });
  const projects = h('datalist', { id: 'projects' });
  const status = h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, s || 'any status')));
  const compare = h('button', { type: 'button', disabled: true, onclick: () => navigate(`#/compare/${[...selected].map(encodeURIComponent).join('/')}`) }, 'Compare 2 selected');
  const table = h('table', { class: 'runs', id: 'runs-table' });
  const pager = h('div', { class: 'pager' });
  const apply = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    navigate(`#/${qs(next.offset ? next : { ...next, offset: undefined })}`);
  };
  const form = h(
    'form',
    { class: 'filters', onsubmit: (ev) => (ev.preventDefault(), apply({ project: project.value.trim(), status: status.value })) },
    h('label', {}, 'Project ', project),
    projects,
    h('label', {}, 'Status ', status),
    h('button', { type: 'submit' }, 'Filter'),
    h('span', { class: 'spacer' }),
    compare,
  );
  status.addEventListener('change', () => form.requestSubmit());
  fill(main, h('h1', {}, 'Runs'), form, table, pager);

  const toggle = (id, on) => {
    if (on) selected.add(id);
    else selected.delete(id);
    compare.disabled = selected.size !== 2;
  };

  const row = (run, d) =>
    h(
      'tr',
      { 'data-run': run.id },
      h('td', {}, h('input', { type: 'checkbox', checked: selected.has(run.id), 'aria-label': `select ${run.name}`, onchange: (ev) => toggle(run.id, ev.target.checked) })),
      h('td', {}, h('a', { href: `#/run/${encodeURIComponent(run.id)}` }, run.name)),
      h('td', { class: 'muted' }, run.project),
      h('td', {}, statusBadge(run.status)),
      h('td', { class: 'progress-cell' }, progressBar(d?.progress)),
      h('td', { class: 'num', 'data-col': 'open' }, d ? h('span', { class: d.open ? 'badge sev-warning' : 'muted' }, String(d.open)) : '?'),
      h('td', { class: 'muted' }, ago(run.updated_at)),
    );

  let timer = 0;
  let stopped = false;
  const load = async () => {
    try {
      const page = await getJson(`/runs${qs({ project: filters.project, status: filters.status, limit: PAGE, offset: filters.offset })}`);
      // Rendered once all rows are known: a refresh never flashes half-filled rows.
      const info = await Promise.allSettled(page.runs.map(details));
      if (stopped) return;
      fill(projects, [...new Set(page.runs.map((r) => r.project))].map((p) => h('option', { value: p })));
      fill(
        table,
        h('thead', {}, h('tr', {}, ['', 'run', 'project', 'status', 'progress', 'open findings', 'updated'].map((t) => h('th', {}, t)))),
        h('tbody', {}, page.runs.length ? page.runs.map((r, i) => row(r, info[i].value)) : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No runs yet: POST /runs, or point a trainer at this server.'))),
      );
      const last = Math.min(page.total, filters.offset + page.runs.length);
      fill(
        pager,
        h('button', { type: 'button', class: 'ghost', disabled: filters.offset === 0, onclick: () => apply({ offset: Math.max(0, filters.offset - PAGE) }) }, '← newer'),
        h('span', { class: 'muted' }, page.total ? `${filters.offset + 1}–${last} of ${page.total}` : ''),
        h('button', { type: 'button', class: 'ghost', disabled: last >= page.total, onclick: () => apply({ offset: filters.offset + PAGE }) }, 'older →'),
      );
    } catch (error) {
      fill(table, h('tbody', {}, h('tr', {}, h('td', { class: 'error' }, unavailable('The runs list', error)))));
    }
    if (!stopped) timer = setTimeout(load, REFRESH_MS);
  };
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
