// A run's tags as chips: a label shows its name, a key=value tag both; MLflow's own `mlflow.*` tags stay in the run's parameters.
import { h } from './dom.js';

export function userTags(run) {
  return Object.entries(run.tags ?? {}).filter(([k]) => !k.startsWith('mlflow.'));
}

export function tagText([key, value]) {
  return value ? `${key}=${value}` : key;
}

/** `onRemove(key)` adds a × to each chip. */
export function tagChips(run, onRemove) {
  return userTags(run).map((tag) =>
    h(
      'span',
      { class: 'tag', 'data-tag': tag[0] },
      tagText(tag),
      onRemove && h('button', { type: 'button', class: 'ghost tag-remove', title: `remove tag ${tag[0]}`, 'aria-label': `remove tag ${tag[0]}`, onclick: () => onRemove(tag[0]) }, '×'),
    ),
  );
}

/** `baseline, team=vision` → the body's add_tags map. */
export function parseTags(text) {
  const tags = {};
  for (const word of text.split(',').map((w) => w.trim()).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq < 0) tags[word] = '';
    else tags[word.slice(0, eq).trim()] = word.slice(eq + 1).trim();
  }
  return tags;
}
