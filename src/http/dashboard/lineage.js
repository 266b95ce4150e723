// Seed 2's lineage: a model's stages as a chain (the run page's strip) and as a tree (the #/lineage/MODEL page).
import { getJson, qs, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { num } from './format.js';
import { statusBadge } from './status.js';

function bestText(best) {
  return best ? `${best.metric} ${num(best.value)}` : 'no metric';
}

/** One stage as a card linked to its run: stage, dataset, steps, the metric that matters. */
function stageCard(s, current = false) {
  return h(
    'a',
    { class: `stage${current ? ' current' : ''}`, href: `#/run/${encodeURIComponent(s.id)}`, 'data-stage': s.id, title: s.base_model ? `from ${s.base_model}` : s.name },
    h('span', { class: 'stage-name' }, s.stage ?? s.name),
    h('span', { class: 'stage-dataset' }, s.dataset ?? 'no dataset'),
    h('span', { class: 'stage-steps' }, `${num(s.steps)} steps${s.epochs === null ? '' : ` · ${num(s.epochs)} ep`}`),
    h('span', { class: 'stage-best' }, bestText(s.best)),
    statusBadge(s.status),
  );
}

function arrow() {
  return h('span', { class: 'stage-arrow', 'aria-hidden': 'true' }, '→');
}

function breakNote(l) {
  if (l.missing_parent) return h('p', { class: 'muted', 'data-break': 'missing' }, `Parent run ${l.missing_parent} is not stored.`);
  if (l.cycle) return h('p', { class: 'muted', 'data-break': 'cycle' }, 'The parent runs form a cycle.');
  return null;
}

/** The run page's strip: the stages before this run, this run, and the stages trained from it. */
export async function renderLineageStrip(body, note, runId) {
  try {
    const l = await getJson(`/runs/${encodeURIComponent(runId)}/lineage`);
    const alone = !l.ancestors.length && !l.descendants.length && !l.stage.stage && !l.stage.parent_run;
    if (alone) return void fill(body, h('p', { class: 'muted' }, 'Not a stage of a lineage (no stage or parent_run).'));
    note.textContent = `${num(l.total_steps)} steps to here`;
    const chain = [];
    for (const a of l.ancestors) chain.push(stageCard(a), arrow());
    chain.push(stageCard(l.stage, true));
    if (l.descendants.length) chain.push(arrow(), h('span', { class: 'stage-children' }, l.descendants.map((d) => stageCard(d))));
    fill(
      body,
      breakNote(l),
      h('div', { class: 'lineage-chain' }, chain),
      h('p', {}, h('a', { href: `#/lineage/${encodeURIComponent(l.model)}` }, `${l.model}: whole lineage`), ' · ', h('a', { href: `/runs/${encodeURIComponent(runId)}/training_info.json`, download: 'training_info.json' }, 'training_info.json')),
    );
  } catch (error) {
    fill(body, h('p', { class: 'error' }, unavailable('Lineage', error)));
  }
}

function treeNode(node) {
  return h('li', {}, stageCard(node), node.children.length ? h('ul', { class: 'lineage-tree' }, node.children.map(treeNode)) : null);
}

/** `#/lineage` or `#/lineage/MODEL`: each model's stages as a tree, with its totals. */
export function lineageView(main, model) {
  let disposed = false;
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  (async () => {
    try {
      const { models } = await getJson(`/lineage${qs({ model })}`);
      if (disposed) return;
      if (!models.length) return void fill(main, h('p', { class: 'muted' }, model ? `No lineage for model ${model}.` : 'No lineages yet: runs with a stage or a parent_run make one.'));
      fill(
        main,
        models.map((m) =>
          h(
            'section',
            { class: 'panel lineage-model', 'data-model': m.model },
            h('h1', {}, h('a', { href: `#/lineage/${encodeURIComponent(m.model)}` }, m.model)),
            h('p', { class: 'lineage-totals' }, `${m.stages} stage${m.stages === 1 ? '' : 's'} · ${num(m.total_steps)} steps · last dataset ${m.latest.dataset ?? '—'}`),
            breakNote(m),
            h('ul', { class: 'lineage-tree root' }, treeNode(m.root)),
          ),
        ),
      );
    } catch (error) {
      if (!disposed) fill(main, h('p', { class: 'error' }, unavailable('Lineage', error)));
    }
  })();
  return () => {
    disposed = true;
  };
}
