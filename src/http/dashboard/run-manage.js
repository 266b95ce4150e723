// Tidying one run: rename, note, tags, archive and delete (PATCH / DELETE /runs/:id).
import { deleteJson, patchJson } from './api.js';
import { h, fill } from './dom.js';
import { parseTags, tagChips } from './tags.js';

/** `onChanged(run)` hears every change the server made; `onDeleted()` runs once it has deleted the run. */
export function manageRun(body, run, { onChanged, onDeleted }) {
  const path = `/runs/${encodeURIComponent(run.id)}`;
  const result = h('p', { class: 'muted result manage-result' });

  const change = async (changes, done) => {
    try {
      const updated = await patchJson(path, changes);
      render(updated);
      onChanged(updated);
      fill(result, done);
    } catch (error) {
      fill(result, h('span', { class: 'error' }, `Not changed: ${error.message}`));
    }
  };

  const remove = async (current) => {
    if (!confirm(`Delete run ${current.project}/${current.name} (${current.id}) with its events, metrics, findings and pending alerts? This cannot be undone.`)) return;
    try {
      await deleteJson(path);
      onDeleted();
    } catch (error) {
      fill(result, h('span', { class: 'error' }, `Not deleted: ${error.message}`));
    }
  };

  const render = (current) => {
    const name = h('input', { name: 'name', value: current.name, required: true, 'aria-label': 'run name' });
    const note = h('textarea', { name: 'note', rows: 3, placeholder: 'a note for this run', 'aria-label': 'note' });
    note.value = current.note ?? '';
    const tag = h('input', { name: 'tag', placeholder: 'baseline, team=vision', 'aria-label': 'tags to add' });
    const archived = current.archived_at !== null;
    fill(
      body,
      h('form', { class: 'manage-row', onsubmit: (ev) => (ev.preventDefault(), change({ name: name.value }, 'Renamed.')) }, name, h('button', { type: 'submit' }, 'Rename')),
      h('form', { class: 'manage-note', onsubmit: (ev) => (ev.preventDefault(), change({ note: note.value }, note.value.trim() ? 'Note saved.' : 'Note cleared.')) }, note, h('button', { type: 'submit' }, 'Save note')),
      h('div', { class: 'tags' }, tagChips(current, (key) => change({ remove_tags: [key] }, `Tag ${key} removed.`))),
      h(
        'form',
        { class: 'manage-row', onsubmit: (ev) => (ev.preventDefault(), tag.value.trim() && change({ add_tags: parseTags(tag.value) }, 'Tags added.')) },
        tag,
        h('button', { type: 'submit' }, 'Add tags'),
      ),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', 'data-manage': archived ? 'unarchive' : 'archive', onclick: () => change({ archived: !archived }, archived ? 'Back in the runs list.' : 'Archived: hidden from the runs list unless "show archived" is on.') }, archived ? 'Unarchive' : 'Archive'),
        h('button', { type: 'button', class: 'danger', 'data-manage': 'delete', onclick: () => remove(current) }, 'Delete run'),
      ),
      result,
    );
  };

  render(run);
}
