// Seed 4's checkpoint list: path, step, epoch and the metric at each checkpoint, the best one marked.
import { getJson, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { num } from './format.js';

export class CheckpointsPanel {
  constructor(runId, body, note) {
    this.path = `/runs/${encodeURIComponent(runId)}/checkpoints`;
    this.body = body;
    this.note = note;
  }

  async load() {
    try {
      this.render(await getJson(this.path));
    } catch (error) {
      fill(this.body, h('p', { class: 'error' }, unavailable('Checkpoints', error)));
    }
  }

  render({ checkpoints, best }) {
    this.note.textContent = checkpoints.length ? `${checkpoints.length}` : '';
    if (!checkpoints.length) return void fill(this.body, h('p', { class: 'muted' }, 'No checkpoint saved or loaded yet.'));
    const rows = [...checkpoints].reverse().map((c) =>
      h(
        'tr',
        { class: c.best ? 'best' : null, 'data-checkpoint': c.seq },
        h('td', {}, c.best ? h('span', { class: 'badge best', title: `best ${c.metric}` }, 'best') : null, c.action === 'loaded' ? h('span', { class: 'badge' }, 'loaded') : null),
        h('td', { class: 'ckpt-path', title: c.path }, c.path),
        h('td', { class: 'num' }, num(c.step)),
        h('td', { class: 'num' }, num(c.epoch)),
        h('td', { class: 'num', title: c.value_from === 'series' ? `${c.metric} at this step` : c.metric ?? '' }, c.value === null ? '—' : `${c.metric} ${num(c.value)}`),
      ),
    );
    fill(
      this.body,
      best ? h('p', { class: 'ckpt-best' }, 'Best: ', h('code', {}, best.path), ` (${best.metric} ${num(best.value)})`) : null,
      h('table', { class: 'checkpoints' }, h('tr', {}, h('th', {}, ''), h('th', {}, 'path'), h('th', { class: 'num' }, 'step'), h('th', { class: 'num' }, 'epoch'), h('th', { class: 'num' }, 'metric')), rows),
    );
  }
}
