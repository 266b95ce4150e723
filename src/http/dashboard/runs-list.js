// The runs list: status, progress, tags, open findings and the config and summary columns a user picks per run,
// filtered by text, project, status and tag, sorted and paged on the server; archived runs only when asked for.
// Selected runs can be compared (2 to 20), tagged, archived or deleted.
import { deleteJson, getJson, patchJson, qs, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { availableColumns, columnChooser, runsTableParts, saveColumns, savedColumns } from './runs-table.js';
import { parseTags } from './tags.js';

const PAGE = 25;
const REFRESH_MS = 5000;
const STATUSES = ['', 'running', 'paused', 'stalled', 'lost', 'completed', 'failed', 'stopped'];
const LIVE = new Set(['running', 'paused', 'stalled']);
const MAX_COMPARED = 20;

/** Progress lives in the run's in-memory context, so it is read (GET /runs/:id) for live runs only. */
async function details(run) {
  if (!LIVE.has(run.status)) return { progress: run.status === 'completed' ? 100 : null };
  const s = await getJson(`/runs/${encodeURIComponent(run.id)}`);
  return { progress: s.progress };
}

/**
 * Where the keyboard focus is in the table, as a selector that finds the same control after a
 * refresh rebuilds the rows: a keyboard user keeps their place.
 */
function focusedIn(table) {
  const el = document.activeElement;
  if (!el || !table.contains(el)) return null;
  const row = el.closest('tr[data-run]');
  const th = el.closest('th[data-sort]');
  if (row) return `tr[data-run="${CSS.escape(row.dataset.run)}"] ${el.tagName.toLowerCase()}`;
  return th ? `th[data-sort="${CSS.escape(th.dataset.sort)}"] button` : null;
}

export function runsList(main, params, navigate) {
  const filters = {
    q: params.get('q') ?? '',
    project: params.get('project') ?? '',
    status: params.get('status') ?? '',
    tag: params.get('tag') ?? '',
    archived: params.get('archived') === '1' ? '1' : '',
    sort: params.get('sort') ?? '',
    offset: Number(params.get('offset') ?? 0),
  };
  const selected = new Set();
  let columns = savedColumns(filters.project);
  const text = h('input', { type: 'search', name: 'q', placeholder: 'name, tag, config…', value: filters.q, 'aria-label': 'search runs by name, tag or config' });
  const project = h('input', { type: 'search', name: 'project', placeholder: 'all projects', value: filters.project, list: 'projects' });
  const projects = h('datalist', { id: 'projects' });
  const status = h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, s || 'any status')));
  const tag = h('input', { type: 'search', name: 'tag', placeholder: 'any tag', value: filters.tag, title: 'runs with every one of these tags: baseline, team=vision' });
  const archived = h('input', { type: 'checkbox', name: 'archived', checked: filters.archived === '1' });
  const compare = h('button', { type: 'button', disabled: true, 'data-compare': '', onclick: () => navigate(`#/compare/${[...selected].map(encodeURIComponent).join('/')}`) }, 'Compare');
  const bulkTag = h('input', { name: 'bulk-tag', placeholder: 'tag, key=value', 'aria-label': 'tags to add to the selected runs' });
  const result = h('p', { class: 'muted result bulk-result' });
  const bulkButtons = [];
  const table = h('table', { class: 'runs', id: 'runs-table' });
  const chooser = h('div', { class: 'columns-slot' });
  const pager = h('div', { class: 'pager' });
  const apply = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    navigate(`#/${qs(next.offset ? next : { ...next, offset: undefined })}`);
  };
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (ev) => (ev.preventDefault(), apply({ q: text.value.trim(), project: project.value.trim(), status: status.value, tag: tag.value.trim(), archived: archived.checked ? '1' : '' })),
    },
    h('label', {}, 'Search ', text),
    h('label', {}, 'Project ', project),
    projects,
    h('label', {}, 'Status ', status),
    h('label', {}, 'Tag ', tag),
    h('label', {}, archived, ' show archived'),
    h('button', { type: 'submit' }, 'Filter'),
    h('span', { class: 'spacer' }),
    compare,
  );
  status.addEventListener('change', () => form.requestSubmit());
  archived.addEventListener('change', () => form.requestSubmit());

  let runsById = new Map();
  /** One request per selected run; the list is reloaded after, whatever each answered. */
  const onSelected = async (what, act) => {
    if (!selected.size) return;
    const runs = [...selected].map((id) => runsById.get(id) ?? { id, name: id });
    const failed = [];
    for (const run of runs) {
      try {
        await act(`/runs/${encodeURIComponent(run.id)}`);
        selected.delete(run.id);
      } catch (error) {
        failed.push(`${run.name}: ${error.message}`);
      }
    }
    fill(result, failed.length ? h('span', { class: 'error' }, `${what} failed for ${failed.join('; ')}`) : `${what}: ${runs.map((r) => r.name).join(', ')}.`);
    toggle();
    load();
  };
  const bulk = (label, key, onclick) => {
    const b = h('button', { type: 'button', disabled: true, 'data-bulk': key, class: key === 'delete' ? 'danger' : '', onclick }, label);
    bulkButtons.push(b);
    return b;
  };
  const actions = h(
    'form',
    { class: 'filters bulk', onsubmit: (ev) => (ev.preventDefault(), bulkTag.value.trim() && onSelected('Tagged', (path) => patchJson(path, { add_tags: parseTags(bulkTag.value) }))) },
    h('span', { class: 'muted' }, 'Selected runs:'),
    bulkTag,
    bulk('Add tags', 'tag', () => actions.requestSubmit()),
    bulk('Archive', 'archive', () => onSelected('Archived', (path) => patchJson(path, { archived: true }))),
    bulk('Unarchive', 'unarchive', () => onSelected('Unarchived', (path) => patchJson(path, { archived: false }))),
    bulk('Delete', 'delete', () => {
      const names = [...selected].map((id) => runsById.get(id)?.name ?? id);
      if (confirm(`Delete ${names.length} run${names.length === 1 ? '' : 's'} (${names.join(', ')}) with their events, metrics, findings and pending alerts? This cannot be undone.`)) {
        onSelected('Deleted', (path) => deleteJson(path));
      }
    }),
  );
  // The table scrolls sideways on a narrow screen, or with many columns, instead of widening the page.
  fill(main, h('h1', {}, 'Runs'), form, actions, result, chooser, h('div', { class: 'table-scroll' }, table), pager);

  const toggle = (id, on) => {
    if (on) selected.add(id);
    else if (id !== undefined) selected.delete(id);
    compare.disabled = selected.size < 2 || selected.size > MAX_COMPARED;
    compare.textContent = selected.size > MAX_COMPARED ? `Compare (at most ${MAX_COMPARED})` : `Compare${selected.size ? ` ${selected.size}` : ''} selected`;
    for (const b of bulkButtons) b.disabled = selected.size === 0;
  };
  toggle();

  let timer = 0;
  let stopped = false;
  let lastPage = null;
  let chooserShape = '';
  const render = (page, info) => {
    lastPage = { page, info };
    fill(projects, [...new Set(page.runs.map((r) => r.project))].map((p) => h('option', { value: p })));
    const filtered = filters.q || filters.tag || filters.project || filters.status;
    const focus = focusedIn(table);
    fill(
      table,
      runsTableParts({
        runs: page.runs,
        details: info.map((d) => (d.status === 'fulfilled' ? d.value : null)),
        columns,
        selected,
        onToggle: toggle,
        sort: filters.sort,
        onSort: (sort) => apply({ sort }),
        empty: filtered ? 'No runs match these filters.' : 'No runs yet: POST /runs, or point a trainer at this server.',
      }),
    );
    if (focus) table.querySelector(focus)?.focus();
    // Rebuilt only when what it lists changes: a refresh must not take the focus from a checkbox.
    const available = availableColumns(page.runs);
    const shape = JSON.stringify([available, columns]);
    if (shape !== chooserShape) {
      chooserShape = shape;
      const wasOpen = chooser.querySelector('details')?.open;
      fill(
        chooser,
        columnChooser(available, columns, (next) => {
          columns = next;
          saveColumns(filters.project, columns);
          render(lastPage.page, lastPage.info);
        }),
      );
      if (wasOpen) chooser.querySelector('details').open = true;
    }
    const last = Math.min(page.total, filters.offset + page.runs.length);
    fill(
      pager,
      h('button', { type: 'button', class: 'ghost', disabled: filters.offset === 0, onclick: () => apply({ offset: Math.max(0, filters.offset - PAGE) }) }, '← newer'),
      h('span', { class: 'muted' }, page.total ? `${filters.offset + 1}–${last} of ${page.total}` : ''),
      h('button', { type: 'button', class: 'ghost', disabled: last >= page.total, onclick: () => apply({ offset: filters.offset + PAGE }) }, 'older →'),
    );
  };

  // One load at a time: a reload asked for meanwhile (after a bulk action) runs once it ends, and
  // the stale answer is not shown, so there is never more than one refresh timer.
  let loading = false;
  let reload = false;
  const load = async () => {
    if (loading) return void (reload = true);
    loading = true;
    clearTimeout(timer);
    try {
      const page = await getJson(`/runs${qs({ q: filters.q, project: filters.project, status: filters.status, tag: filters.tag, archived: filters.archived, sort: filters.sort, limit: PAGE, offset: filters.offset })}`);
      runsById = new Map(page.runs.map((r) => [r.id, r]));
      // Rendered once all rows are known: a refresh never flashes half-filled rows.
      const info = await Promise.allSettled(page.runs.map(details));
      if (!stopped && !reload) render(page, info);
    } catch (error) {
      if (!stopped && !reload) fill(table, h('tbody', {}, h('tr', {}, h('td', { class: 'error' }, unavailable('The runs list', error)))));
    }
    loading = false;
    if (stopped) return;
    if (reload) {
      reload = false;
      load();
    } else timer = setTimeout(load, REFRESH_MS);
  };
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
